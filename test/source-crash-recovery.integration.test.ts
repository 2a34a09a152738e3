import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOrAttach } from '../cli/follow-migration.ts';
import { generateSourceHistories, VONAGE_ACCOUNT } from '../demo/source-histories.ts';
import type { MigrationInput } from '../workflows/migration-input.ts';
import { openSandbox, type Sandbox } from './support/sandbox.ts';
import { channelshift } from './support/worker-process.ts';

const DAY = 86_400_000;
const from = new Date(Date.UTC(2026, 9, 1));
const to = new Date(from.getTime() + 30 * DAY);
const histories = generateSourceHistories({ vonageRecords: 30_000, plivoMessages: 3000, viberSubscribers: 3000, from, days: 30, seed: 11 });
const RECORDS = 60_000;

describe('a worker killed during each source\'s extraction', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    // Slow pages leave time to kill the worker between them.
    sandbox = await openSandbox({ histories, plivoWindowMs: 1000, faults: { slowPageMs: 80 } });
  });
  afterAll(async () => sandbox.close());

  it('is replaced by one that resumes at the next page: staging ends as it does after an uninterrupted run', { timeout: 600_000 }, async () => {
    await sandbox.emulators.viber.deliverCallbacks(`${sandbox.webhooks.url}/webhooks/viber`);
    const records = join(sandbox.dataDir, 'viber-records.csv');
    // Many records for few people: the file takes a while to stage, the contacts it makes little time to sync.
    writeFileSync(records, ['viber_id,name,phone,country', ...Array.from({ length: RECORDS }, (_, i) => `id-${i % 2000},Client ${i % 2000},+97150${String(1_000_000 + (i % 2000)).slice(-7)},AE`)].join('\n'));
    const period = { from: from.toISOString(), to: to.toISOString() };
    const migration = (migrationId: string): MigrationInput => ({
      migrationId,
      sources: [
        { kind: 'vonage', name: 'vonage', accountId: VONAGE_ACCOUNT, ...period },
        { kind: 'plivo', name: 'plivo', ...period },
        { kind: 'viber', name: 'viber', bot: sandbox.viberBot, recordsPath: records, recordColumns: { viberUserId: 'viber_id', name: 'name', phone: 'phone', country: 'country' } },
      ],
    });
    const interrupted = migration(`killed-${randomUUID().slice(0, 8)}`);
    const handle = await startOrAttach(sandbox.client, sandbox.temporal.taskQueue, interrupted);

    // Each worker is killed once the source it is aimed at has staged a page under it, mid-way through that source.
    for (const source of ['viber', 'vonage', 'plivo']) {
      const stagedBefore = (await checkpointOf(sandbox, interrupted.migrationId, source))?.rows_staged ?? 0;
      const worker = channelshift(['worker'], sandbox.processEnv);
      await until(async () => {
        const checkpoint = await checkpointOf(sandbox, interrupted.migrationId, source);
        return checkpoint !== undefined && checkpoint.rows_staged > stagedBefore && !checkpoint.done;
      }, `${source} half extracted`);
      worker.kill('SIGKILL');
      await once(worker, 'exit');
    }
    const lastWorker = channelshift(['worker'], sandbox.processEnv);
    try {
      await handle.result();
    } finally {
      lastWorker.kill('SIGTERM');
      await once(lastWorker, 'exit');
    }

    await sandbox.startWorker();
    const reference = migration(`reference-${randomUUID().slice(0, 8)}`);
    await (await startOrAttach(sandbox.client, sandbox.temporal.taskQueue, reference)).result();

    const [killed, uninterrupted] = await Promise.all([stagingOf(sandbox, interrupted.migrationId), stagingOf(sandbox, reference.migrationId)]);
    expect(killed.length).toBe(histories.vonage.length + histories.plivo.length + histories.viber.length + RECORDS);
    expect(killed).toEqual(uninterrupted);
  });
});

function checkpointOf(sandbox: Sandbox, migrationId: string, source: string) {
  return sandbox.db
    .selectFrom('extract_checkpoints')
    .select(['rows_staged', 'done'])
    .where('migration_id', '=', migrationId)
    .where('source', '=', source)
    .executeTakeFirst();
}

/** What staging holds of a migration, without the migration's own id, in a stable order. */
async function stagingOf(sandbox: Sandbox, migrationId: string) {
  const rows = await sandbox.db
    .selectFrom('staged_rows')
    .select(['source', 'record_key', 'channel', 'phone_raw', 'name', 'country', 'last_interaction_at', 'viber_user_id', 'direction', 'delivery_status', 'file_line', 'raw'])
    .where('migration_id', '=', migrationId)
    .orderBy('source')
    .orderBy('record_key')
    .execute();
  return rows;
}

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
