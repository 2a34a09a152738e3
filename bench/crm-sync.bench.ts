// CRM sync against the emulators at the vendors' published limits: HubSpot batch upserts per second as a share of
// the burst limit (and the share of 429 answers), and Salesforce through Bulk API 2.0; then the same contacts again,
// which must write nothing.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time.js';
import { MockActivityEnvironment } from '@temporalio/testing';
import { openDatabase } from '../database/connect.ts';
import { startSandboxEmulators } from '../demo/sandbox-emulators.ts';
import { createConnectors } from '../worker/connector-settings.ts';
import { syncCrmChangesActivity, type CrmSyncRequest, type CrmSyncSlice } from '../activities/sync/sync-crm-changes.ts';
import { PRO_BURST_LIMIT } from '../connectors/hubspot/burst-limit.ts';
import { seedContacts } from '../test/support/seed-contacts.ts';

const { values } = parseArgs({ options: { contacts: { type: 'string', default: '100000' } } });
const contacts = Number(values.contacts);
if (!process.env.DATABASE_URL) throw new Error('the CRM bench needs DATABASE_URL (PostgreSQL)');

const db = await openDatabase({ kind: 'postgres', url: process.env.DATABASE_URL });
const emulators = await startSandboxEmulators({ salesforce: { bulkProcessingMs: 200 } });
const syncCrmChanges = syncCrmChangesActivity({ db, crms: createConnectors(emulators.settings).crms });
let throttled = 0;

let slices = 0;
/** A slice's counts are kept under its workflow and activity id: each bench run is a workflow of its own. */
const workflowExecution = { workflowId: `bench-crm-sync-${randomUUID()}`, runId: randomUUID() };
const sliceActivity = () => new MockActivityEnvironment({ activityId: String(++slices), workflowExecution });

/**
 * Slices until nothing is due, each throttled attempt waiting as Temporal's retry would and retrying under its
 * slice's activity id, as Temporal's would.
 */
async function syncAll(request: CrmSyncRequest): Promise<CrmSyncSlice & { seconds: number }> {
  const started = performance.now();
  const total: CrmSyncSlice = { written: 0, unchanged: 0, failed: 0, due: 0 };
  let activity = sliceActivity();
  for (;;) {
    let slice: CrmSyncSlice;
    try {
      slice = await activity.run(syncCrmChanges, request);
      activity = sliceActivity();
    } catch (failure) {
      if (!(failure instanceof ApplicationFailure) || failure.nonRetryable) throw failure;
      throttled++;
      await sleep(failure.nextRetryDelay === undefined ? 1000 : msToNumber(failure.nextRetryDelay));
      continue;
    }
    for (const key of ['written', 'unchanged', 'failed'] as const) total[key] += slice[key];
    if (slice.due === 0) return { ...total, seconds: (performance.now() - started) / 1000 };
  }
}

try {
  const migrationId = `bench-crm-${Date.now().toString(36)}`;
  await seedContacts(db, migrationId, contacts);
  console.log(`\nCRM sync of ${contacts} contacts against the emulators at the published limits`);

  const hubspot = emulators.hubspot;
  const first = await syncAll({ crm: 'hubspot', migrationId });
  const requests = hubspot.requestCount();
  const allowedPerSecond = PRO_BURST_LIMIT.requests / (PRO_BURST_LIMIT.intervalMs / 1000);
  const achieved = requests / first.seconds;
  console.log(
    `  HubSpot   ${first.written} contacts in ${first.seconds.toFixed(1)} s: ${requests} requests at ${achieved.toFixed(1)}/s, ` +
      `${((achieved / allowedPerSecond) * 100).toFixed(1)}% of the burst limit (${PRO_BURST_LIMIT.requests} per 10 s); ` +
      `429 answers ${hubspot.rateLimitedCount()} (${((hubspot.rateLimitedCount() / requests) * 100).toFixed(2)}% of requests), throttled attempts ${throttled}`,
  );

  const salesforce = emulators.salesforce;
  const bulk = await syncAll({ crm: 'salesforce', migrationId });
  console.log(
    `  Salesforce ${bulk.written} contacts in ${bulk.seconds.toFixed(1)} s (${Math.round(bulk.written / bulk.seconds)} contacts/s) through ` +
      `${salesforce.jobs().length} Bulk API 2.0 jobs, ${salesforce.requestCount()} API requests`,
  );

  const again = await Promise.all([syncAll({ crm: 'hubspot', migrationId }), syncAll({ crm: 'salesforce', migrationId })]);
  const writes = (counts: ReadonlyMap<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0);
  console.log(
    `  again      ${again[0].written + again[1].written} written; HubSpot ${hubspot.records().length} records, ${writes(hubspot.writesPerRecord())} writes in all; ` +
      `Salesforce ${salesforce.records().length} records, ${writes(salesforce.writesPerRecord())} writes in all (a second sync of the same data writes nothing)`,
  );
} finally {
  await emulators.close();
  await db.destroy();
}
