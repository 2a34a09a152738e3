import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { UNIQUE_ID_PROPERTY } from '../connectors/hubspot/contact-mapping.ts';
import { DEFAULT_EXTERNAL_ID_FIELD } from '../connectors/salesforce/contact-mapping.ts';
import type { CrmName } from '../connectors/crm-contact.ts';
import { crmSyncWorkflow, crmSyncWorkflowId } from '../workflows/crm-sync.ts';
import { openSandbox, type Sandbox } from './support/sandbox.ts';
import { seedContacts } from './support/seed-contacts.ts';
import { channelshift, finished } from './support/worker-process.ts';
import { until } from './support/until.ts';

const CONTACTS = 100_000;
/** Every 4,001st contact carries a name both CRMs' validation rules refuse while `refusing` holds. */
const PLANTED = Math.ceil(CONTACTS / 4001);
/** HubSpot's gateway fails one upsert in 150: the slice it fails is retried, and its writes still count once. */
const BAD_GATEWAY_EVERY = 150;
let refusing = true;

describe('CRM sync of 100,000 contacts to HubSpot and Salesforce', () => {
  let sandbox: Sandbox;
  const migrationId = `crm-${randomUUID().slice(0, 8)}`;
  beforeAll(async () => {
    sandbox = await openSandbox({
      hubspot: { upsertFailureEvery: BAD_GATEWAY_EVERY },
      salesforce: { rejectRecord: (fields) => (refusing && fields.LastName === 'Refused' ? 'Last name "Refused" is not allowed' : undefined), bulkProcessingMs: 200 },
    });
    sandbox.hubspot.setRejectInput((properties) => (refusing && properties.lastname === 'Refused' ? 'lastname "Refused" is not allowed' : undefined));
    await sandbox.startWorker();
    // Numbers of their own (+97160…): no other test's contacts share them.
    await seedContacts(sandbox.db, migrationId, CONTACTS, 60_000_000);
    await sql`UPDATE contacts SET name = 'Planted Refused' WHERE migration_id = ${migrationId} AND (id - (SELECT min(id) FROM contacts WHERE migration_id = ${migrationId})) % 4001 = 0`.execute(sandbox.db);
  });
  afterAll(async () => sandbox.close());

  const sync = (crm: CrmName, reason: string) =>
    sandbox.client.workflow.execute(crmSyncWorkflow, {
      workflowId: crmSyncWorkflowId({ migrationId, crm }, reason),
      taskQueue: sandbox.temporal.taskQueue,
      args: [{ migrationId, crm }],
    });
  const hubspotNumbers = () => sandbox.hubspot.records().map((r) => r.properties[UNIQUE_ID_PROPERTY]!);
  const salesforceNumbers = () => sandbox.emulators.salesforce.records().map((r) => r[DEFAULT_EXTERNAL_ID_FIELD]!);
  const totalWrites = (writes: ReadonlyMap<string, number>) => [...writes.values()].reduce((a, b) => a + b, 0);

  it('writes every contact once, keeps each refused row with the vendor\'s reason, and a second sync writes nothing', async () => {
    const [hubspot, salesforce] = await Promise.all([sync('hubspot', 'first'), sync('salesforce', 'first')]);

    expect(hubspot).toEqual({ written: CONTACTS - PLANTED, unchanged: 0, failed: PLANTED });
    expect(salesforce).toEqual({ written: CONTACTS - PLANTED, unchanged: 0, failed: PLANTED });
    for (const numbers of [hubspotNumbers(), salesforceNumbers()]) {
      expect(numbers).toHaveLength(CONTACTS - PLANTED);
      expect(new Set(numbers).size).toBe(numbers.length);
    }
    expect([...sandbox.hubspot.writesPerRecord().values()].every((writes) => writes === 1)).toBe(true);
    expect([...sandbox.emulators.salesforce.writesPerRecord().values()].every((writes) => writes === 1)).toBe(true);
    // HubSpot's burst limit was kept: a few 429s at most, never a storm.
    expect(sandbox.hubspot.rateLimitedCount()).toBeLessThan(sandbox.hubspot.requestCount() / 100);
    expect(sandbox.hubspot.badGatewayCount()).toBeGreaterThanOrEqual(Math.floor(CONTACTS / 100 / BAD_GATEWAY_EVERY));
    // Above 2,000 contacts Salesforce is written through Bulk API 2.0 jobs.
    expect(sandbox.emulators.salesforce.jobs().length).toBeGreaterThanOrEqual(CONTACTS / 10_000);

    const deadLetters = await sandbox.db.selectFrom('dead_letters').select(['vendor', 'reason']).where('migration_id', '=', migrationId).where('resolved_at', 'is', null).execute();
    expect(deadLetters.filter((d) => d.vendor === 'hubspot')).toHaveLength(PLANTED);
    expect(deadLetters.filter((d) => d.vendor === 'salesforce')).toHaveLength(PLANTED);
    expect(deadLetters.filter((d) => d.vendor === 'hubspot').every((d) => d.reason.includes('lastname "Refused" is not allowed'))).toBe(true);
    expect(deadLetters.filter((d) => d.vendor === 'salesforce').every((d) => d.reason.includes('FIELD_CUSTOM_VALIDATION_EXCEPTION'))).toBe(true);

    const writesBefore = [totalWrites(sandbox.hubspot.writesPerRecord()), totalWrites(sandbox.emulators.salesforce.writesPerRecord())];
    const again = await Promise.all([sync('hubspot', 'again'), sync('salesforce', 'again')]);
    expect(again).toEqual([{ written: 0, unchanged: 0, failed: 0 }, { written: 0, unchanged: 0, failed: 0 }]);
    expect([totalWrites(sandbox.hubspot.writesPerRecord()), totalWrites(sandbox.emulators.salesforce.writesPerRecord())]).toEqual(writesBefore);
    // HubSpot's burst limit alone needs 53 s for 100,000 contacts; beside the rest of the suite the whole takes 2 to 4 minutes.
  }, 600_000);

  it('lists the dead letters with their reasons, and sends them again after the fix', async () => {
    const list = await finished(channelshift(['dlq', 'list', '--migration', migrationId, '--crm', 'hubspot'], sandbox.processEnv));
    expect(list.code).toBe(0);
    expect(list.stdout.match(/lastname "Refused" is not allowed/g)).toHaveLength(PLANTED);

    refusing = false;
    sandbox.hubspot.setRejectInput(undefined);
    const retry = await finished(channelshift(['dlq', 'retry', '--migration', migrationId], sandbox.processEnv));
    expect(retry.stderr).toBe('');
    expect(retry.stdout).toContain(`${PLANTED} dead letters retried; ${PLANTED} contacts written, 0 refused again`);

    expect(new Set(hubspotNumbers()).size).toBe(CONTACTS);
    expect(new Set(salesforceNumbers()).size).toBe(CONTACTS);
    const open = await finished(channelshift(['dlq', 'list', '--migration', migrationId], sandbox.processEnv));
    expect(open.stdout.trim()).toBe('No dead letters.');
  });

  it('pauses on a spent Salesforce allocation, on a durable timer, and goes on where it stopped once it returns', async () => {
    const later = `crm-${randomUUID().slice(0, 8)}`;
    await seedContacts(sandbox.db, later, 3000, 61_000_000);
    const salesforce = sandbox.emulators.salesforce;
    salesforce.setDailyAllocation(salesforce.apiUsage().used);
    const handle = await sandbox.client.workflow.start(crmSyncWorkflow, {
      workflowId: crmSyncWorkflowId({ migrationId: later, crm: 'salesforce' }, 'allowance'),
      taskQueue: sandbox.temporal.taskQueue,
      args: [{ migrationId: later, crm: 'salesforce' }],
    });
    await until(async () => JSON.stringify(await handle.fetchHistory()).includes('timerStartedEventAttributes'), 'the pause');
    expect(salesforce.records().filter((r) => r[DEFAULT_EXTERNAL_ID_FIELD]!.startsWith('+97156100'))).toHaveLength(0);

    salesforce.resetAllocation();
    expect(await handle.result()).toEqual({ written: 3000, unchanged: 0, failed: 0 });
    expect(salesforce.records().filter((r) => r[DEFAULT_EXTERNAL_ID_FIELD]!.startsWith('+97156100'))).toHaveLength(3000);
  });
});
