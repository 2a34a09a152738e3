import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import { startOrAttach } from '../cli/follow-migration.ts';
import { progressQuery, type MigrationSummary } from '../workflows/migration-progress.ts';
import { UNIQUE_ID_PROPERTY } from '../connectors/hubspot/contact-mapping.ts';
import { openSandbox, type Sandbox } from './support/sandbox.ts';
import { contactsOf, customerBaseMigration } from './support/migration-run.ts';
import { windows1256 } from './support/windows-1256.ts';
import { verifyBackup } from '../backup/backup-verify.ts';

describe('migration workflow on the Temporal dev server and PostgreSQL', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await openSandbox();
    await sandbox.startWorker();
  });
  afterAll(async () => sandbox.close());

  it('extracts, cleans, merges, verifies and syncs a customer base, and every count adds up', async () => {
    const { input, truth } = await customerBaseMigration(sandbox, 4000, { verify: { contactsCheck: true } });
    const handle = await startOrAttach(sandbox.client, sandbox.temporal.taskQueue, input);
    const summary: MigrationSummary = await handle.result();

    expect(summary.stage).toBe('done');
    expect(summary.extracted).toBe(truth.rows);
    expect(summary.valid).toBe(truth.validRows);
    expect(summary.rejected).toBe(truth.rejectedRows);
    expect(summary.valid + summary.rejected).toBe(summary.extracted);
    expect(summary.contacts).toBe(truth.distinctNumbers);
    expect(summary.quality.duplicatesMerged).toBe(summary.valid - summary.contacts);
    expect(summary.batches).toBe(Math.ceil(summary.contacts / 1000));

    const contacts = await contactsOf(sandbox, input.migrationId);
    expect(new Set(contacts.map((c) => c.e164))).toEqual(truth.numbers);
    expect(summary.verified).toBe(summary.contacts);
    const onWhatsApp = contacts.filter((c) => sandbox.contactsCheck.isOnWhatsApp(c.e164));
    expect(summary.likely).toBe(onWhatsApp.length);
    expect(contacts.filter((c) => c.reachability === 'likely')).toHaveLength(onWhatsApp.length);
    for (const contact of contacts) expect(sandbox.contactsCheck.checksPerNumber().get(contact.e164)).toBe(1);

    expect(summary.synced).toBe(summary.contacts);
    expect(summary.syncFailed).toBe(0);
    const records = sandbox.hubspot.records();
    expect(records).toHaveLength(summary.contacts);
    expect(new Set(records.map((r) => r.properties[UNIQUE_ID_PROPERTY]))).toEqual(new Set(contacts.map((c) => c.e164)));
    expect([...sandbox.hubspot.writesPerRecord().values()].every((writes) => writes === 1)).toBe(true);
    expect(sandbox.hubspot.rateLimitedCount()).toBe(0);

    expect(await handle.query(progressQuery)).toEqual(summary);
  });

  it('keeps phone numbers and names out of the workflow history', async () => {
    const { input } = await customerBaseMigration(sandbox, 1500);
    const handle = await startOrAttach(sandbox.client, sandbox.temporal.taskQueue, input);
    await handle.result();

    const history = JSON.stringify(await handle.fetchHistory(), (_key, value: unknown) =>
      value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : value,
    );
    const staged = await sandbox.db
      .selectFrom('staged_rows')
      .select(['phone_raw', 'name'])
      .where('migration_id', '=', input.migrationId)
      .execute();
    const contacts = await contactsOf(sandbox, input.migrationId);
    const personal = [
      ...contacts.map((c) => c.e164.slice(1)),
      ...staged.flatMap((r) => [r.phone_raw, r.name]).filter((v): v is string => v !== null && v.length >= 6),
    ];
    expect(personal.length).toBeGreaterThan(1500);
    expect(personal.filter((value) => history.includes(value))).toEqual([]);
  });

  it('run again with the same id, verifies and writes nothing twice', async () => {
    const { input } = await customerBaseMigration(sandbox, 2500, { verify: { contactsCheck: true } });
    const first = await (await startOrAttach(sandbox.client, sandbox.temporal.taskQueue, input)).result();
    const checksBefore = new Map(sandbox.contactsCheck.checksPerNumber());
    const writesBefore = new Map(sandbox.hubspot.writesPerRecord());

    const second = await (await startOrAttach(sandbox.client, sandbox.temporal.taskQueue, input)).result();

    // The second run counts its own work: the same contacts, none verified or written again.
    expect(second).toMatchObject({ contacts: first.contacts, batches: first.batches, verifiedBatches: first.batches, verified: 0, synced: 0, syncFailed: 0 });
    expect(sandbox.contactsCheck.checksPerNumber()).toEqual(checksBefore);
    expect(sandbox.hubspot.writesPerRecord()).toEqual(writesBefore);
  });

  it('keeps every good row of a broken, mixed-encoding CSV, quarantines each bad line with its number, and archives the extract', async () => {
    const path = join(sandbox.dataDir, 'broken.csv');
    const utf8 = (text: string) => Buffer.from(text, 'utf8');
    writeFileSync(
      path,
      Buffer.concat([
        utf8('\uFEFFphone;name;country\n'),
        utf8('+971501111111;أحمد;AE\n'),
        windows1256('0502222222;محمد;AE\n'),
        utf8('+971503333333;"ليلى;AE\n'),
        windows1256('+966504444444;فاطمة\n'),
        utf8('+966505555555;"نور\nالهدى";SA\n'),
        utf8('+971506666666;"Rami" H;AE\n'),
      ]),
    );
    const migrationId = `broken-${randomUUID().slice(0, 8)}`;
    const backupDir = join(sandbox.dataDir, 'backups');
    const summary = await (
      await startOrAttach(sandbox.client, sandbox.temporal.taskQueue, {
        migrationId,
        sources: [{ kind: 'csv', name: 'export', path, columns: { phone: 'phone', name: 'name', country: 'country' } }],
        backupDir,
      })
    ).result();

    expect(summary).toMatchObject({ extracted: 3, quarantined: 3, valid: 3, contacts: 3, sources: { export: { rows: 3, quarantined: 3 } } });
    const staged = await sandbox.db.selectFrom('staged_rows').select(['file_line', 'name']).where('migration_id', '=', migrationId).orderBy('file_line').execute();
    expect(staged).toEqual([{ file_line: 2, name: 'أحمد' }, { file_line: 3, name: 'محمد' }, { file_line: 6, name: 'نور\nالهدى' }]);
    const quarantined = await sandbox.db.selectFrom('quarantined_rows').select(['file', 'file_line', 'reason']).where('migration_id', '=', migrationId).orderBy('file_line').execute();
    expect(quarantined).toEqual([
      { file: path, file_line: 4, reason: 'unclosed quote' },
      { file: path, file_line: 5, reason: '2 fields where the header has 3' },
      { file: path, file_line: 8, reason: 'text after a closing quote' },
    ]);
    expect(await verifyBackup(backupDir, migrationId)).toMatchObject({ checked: [{ source: 'export', rows: 3, quarantined: 3 }], problems: [] });
  });

  it('fails at once, naming the file, when the source cannot be read', async () => {
    const { input } = await customerBaseMigration(sandbox, 10);
    const missing = { ...input, sources: [{ ...input.sources[0]!, path: '/nonexistent/customers.csv' }] };
    const handle = await startOrAttach(sandbox.client, sandbox.temporal.taskQueue, missing);
    const failure = await handle.result().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure as WorkflowFailedError).cause?.message).toBe(
      'source "customers" could not be extracted: source "customers" (/nonexistent/customers.csv): the file does not exist',
    );
  });

  it('refuses an input with the fields that are wrong', async () => {
    const handle = await sandbox.client.workflow.start('migrationWorkflow', {
      taskQueue: sandbox.temporal.taskQueue,
      workflowId: `bad-input-${Date.now()}`,
      args: [{ migrationId: 'Bad Id', sources: [{ kind: 'csv', name: 'x', path: 'x.csv', columns: {} }], batchSize: 5000 }],
    });
    const failure = (await handle.result().catch((error: unknown) => error)) as WorkflowFailedError;
    expect(failure.cause?.message).toMatch(/migrationId: .*sources\[0\]\.columns\.phone: .*batchSize: a whole number from 1 to 1000/);
  });
});
