import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Kysely } from 'kysely';
import { openDatabase } from '../database/connect.ts';
import type { Database } from '../database/schema.ts';
import { startSandboxEmulators, type SandboxEmulators } from '../demo/sandbox-emulators.ts';
import { generateSourceHistories, VONAGE_ACCOUNT } from '../demo/source-histories.ts';
import { createConnectors } from '../worker/connector-settings.ts';
import type { Source } from '../workflows/migration-input.ts';
import { stageSource } from './support/stage-source.ts';

const DAY = 86_400_000;
const from = new Date(Date.UTC(2026, 9, 1));
const firstPassEnd = new Date(from.getTime() + 20 * DAY);
const histories = generateSourceHistories({ vonageRecords: 4000, plivoMessages: 600, viberSubscribers: 0, from, days: 30, seed: 5 });

describe('incremental extraction from a watermark', () => {
  let db: Kysely<Database>;
  let emulators: SandboxEmulators;
  beforeAll(async () => {
    db = await openDatabase({ kind: 'postgres', url: inject('databaseUrl') });
    emulators = await startSandboxEmulators({ histories, plivoWindowMs: 200 });
  });
  afterAll(async () => {
    await emulators.close();
    await db.destroy();
  });

  const stagedKeys = async (migrationId: string, source: string) =>
    (await db.selectFrom('staged_rows').select('record_key').where('migration_id', '=', migrationId).where('source', '=', source).execute()).map((r) => r.record_key);

  it('reads Vonage and Plivo history up to the watermark, then only what came after it', async () => {
    const migrationId = `incremental-${randomUUID().slice(0, 8)}`;
    const sources = createConnectors(emulators.settings).sources;
    const firstPass: Source[] = [
      { kind: 'vonage', name: 'vonage', accountId: VONAGE_ACCOUNT, from: from.toISOString(), to: firstPassEnd.toISOString() },
      { kind: 'plivo', name: 'plivo', from: from.toISOString(), to: firstPassEnd.toISOString() },
    ];
    const before = (time: string) => new Date(time.replace(' ', 'T').replace(/\.\d+/, '').replace(/\+0000$/, 'Z')).getTime() < firstPassEnd.getTime();
    const expected = {
      vonage: histories.vonage.filter((r) => before(r.date_received!)).map((r) => r.message_id),
      plivo: histories.plivo.filter((m) => before(m.message_time)).map((m) => m.message_uuid),
    };
    for (const source of firstPass) {
      const first = await stageSource(db, migrationId, source, { sources, passId: 'run-1' });
      expect(first).toMatchObject({ pass: 1, rows: expected[source.name as 'vonage' | 'plivo'].length });
      // The same run again, or a run that is not incremental, stages nothing new.
      expect(await stageSource(db, migrationId, source, { sources, passId: 'run-1', incremental: true })).toMatchObject({ pass: 1 });
      expect(await stageSource(db, migrationId, source, { sources, passId: 'run-2' })).toMatchObject({ pass: 1 });
      const requestsBefore = emulators.vonage.requests().length + emulators.plivo.requests().length;
      const second = await stageSource(db, migrationId, source, { sources, passId: 'run-3', incremental: true });
      expect(second).toMatchObject({ pass: 2, rows: source.kind === 'vonage' ? histories.vonage.length : histories.plivo.length });
      // The second pass asked only for the days after the watermark: a request per day (and direction), and a few more pages.
      const daysAfter = Math.ceil((Date.now() - firstPassEnd.getTime()) / DAY);
      const newRecords = second.rows - first.rows;
      const mostRequests = source.kind === 'vonage' ? 2 * daysAfter + Math.ceil(newRecords / 1000) : daysAfter + Math.ceil(newRecords / 20);
      expect(emulators.vonage.requests().length + emulators.plivo.requests().length - requestsBefore).toBeLessThanOrEqual(mostRequests);
    }
    expect((await stagedKeys(migrationId, 'vonage')).sort()).toEqual(histories.vonage.map((r) => `${r.message_id}`).sort());
  });

  it('re-reads a changed CSV and stages only its new and changed rows', async () => {
    const migrationId = `incremental-${randomUUID().slice(0, 8)}`;
    const file = join(mkdtempSync(join(tmpdir(), 'channelshift-incremental-')), 'customers.csv');
    const source: Source = { kind: 'csv', name: 'crm', path: file, columns: { phone: 'phone', name: 'name' } };
    writeFileSync(file, 'phone,name\n+971501234567,Amal\n+971501234568,Badr\n+971501234568,Badr\n');
    expect(await stageSource(db, migrationId, source, { passId: 'run-1' })).toMatchObject({ pass: 1, rows: 3 });
    writeFileSync(file, 'phone,name\n+971501234567,Amal Saeed\n+971501234568,Badr\n+971501234568,Badr\n+971501234569,Dana\n');
    expect(await stageSource(db, migrationId, source, { passId: 'run-2', incremental: true })).toMatchObject({ pass: 2, rows: 5 });
    const names = await db.selectFrom('staged_rows').select(['name', 'file_line']).where('migration_id', '=', migrationId).orderBy('line_no').execute();
    expect(names.map((n) => n.name)).toEqual(['Amal', 'Badr', 'Badr', 'Amal Saeed', 'Dana']);
  });
});
