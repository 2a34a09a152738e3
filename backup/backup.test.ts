import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Insertable, Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabase } from '../database/connect.ts';
import type { Database, StagedRowTable } from '../database/schema.ts';
import { channelshift, finished } from '../test/support/worker-process.ts';
import { quarantinedColumns, stagedColumns } from './archive-lines.ts';
import { readManifest } from './backup-manifest.ts';
import { restoreBackup } from './backup-restore.ts';
import { verifyBackup } from './backup-verify.ts';
import { archivePath, archiveSource } from './source-archive.ts';

/** More than two of the archive's pages, so paging is part of what is checked. */
const ROWS = 12_001;

let db: Kysely<Database>;
const folders: string[] = [];

beforeAll(async () => {
  db = await openDatabase({ kind: 'postgres', url: inject('databaseUrl') });
});
afterAll(async () => {
  await db.destroy();
  await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
});

async function backupFolder(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'channelshift-backup-'));
  folders.push(folder);
  return folder;
}

/** A source as extraction leaves it: generated rows, Arabic names, a row with nothing but a number, broken lines. */
async function stageSource(source = 'customers'): Promise<string> {
  const migrationId = `backup-${randomUUID().slice(0, 8)}`;
  const rows: Insertable<StagedRowTable>[] = [
    {
      migration_id: migrationId,
      source,
      line_no: 1,
      channel: 'sms',
      phone_raw: '+971 50 123 4567',
      name: 'محمد بن راشد',
      country: 'AE',
      last_interaction_at: new Date('2024-03-01T08:15:30.123Z'),
      viber_user_id: null,
      raw: JSON.stringify({ phone: '+971 50 123 4567', name: 'محمد بن راشد', tags: ['vip', 'دبي'], score: 4.5, opted_in: true }),
      record_key: 'row-1',
      file_line: 2,
      direction: 'outbound',
      delivery_status: 'delivered',
    },
    {
      migration_id: migrationId,
      source,
      line_no: 2,
      channel: 'viber',
      phone_raw: null,
      name: null,
      country: null,
      last_interaction_at: null,
      viber_user_id: null,
      raw: JSON.stringify({}),
      record_key: null,
      file_line: null,
      direction: null,
      delivery_status: null,
    },
  ];
  for (let line = 3; line <= ROWS; line++) {
    rows.push({
      migration_id: migrationId,
      source,
      line_no: line,
      channel: line % 3 === 0 ? 'viber' : 'sms',
      phone_raw: `05${String(line).padStart(8, '0')}`,
      name: line % 2 === 0 ? `فاطمة ${line}` : `Customer ${line}`,
      country: 'SA',
      last_interaction_at: new Date(Date.UTC(2024, 0, 1) + line * 61_001),
      viber_user_id: line % 3 === 0 ? `vb-${line}==` : null,
      raw: JSON.stringify({ line, note: 'with "quotes", a\nnewline and a tab\t' }),
      record_key: `row-${line}`,
      file_line: line + 1,
      direction: line % 2 === 0 ? 'inbound' : null,
      delivery_status: null,
    });
  }
  for (let i = 0; i < rows.length; i += 1000) await db.insertInto('staged_rows').values(rows.slice(i, i + 1000)).execute();
  await db
    .insertInto('quarantined_rows')
    .values([
      { migration_id: migrationId, source, file: 'customers.csv', file_line: 40, reason: 'unclosed quote', content: '"+966 5,"علي' },
      { migration_id: migrationId, source, file: 'customers.csv', file_line: 97, reason: 'too many columns', content: 'a,b,c,d,e\u{fffd}' },
    ])
    .execute();
  return migrationId;
}

async function stagedRows(migrationId: string) {
  return db.selectFrom('staged_rows').select(stagedColumns).where('migration_id', '=', migrationId).orderBy('source').orderBy('line_no').execute();
}

async function quarantinedRows(migrationId: string) {
  return db.selectFrom('quarantined_rows').select(quarantinedColumns).where('migration_id', '=', migrationId).orderBy('file_line').execute();
}

async function deleteRows(migrationId: string): Promise<void> {
  await db.deleteFrom('staged_rows').where('migration_id', '=', migrationId).execute();
  await db.deleteFrom('quarantined_rows').where('migration_id', '=', migrationId).execute();
}

async function flipByte(file: string): Promise<void> {
  const bytes = await readFile(file);
  const middle = Math.floor(bytes.length / 2);
  bytes[middle] = bytes[middle]! ^ 0xff;
  await writeFile(file, bytes);
}

describe('backups of the raw extract', () => {
  it('archives a source, verifies it, and restores every column of every row after they were deleted', async () => {
    const dir = await backupFolder();
    const migrationId = await stageSource();
    const staged = await stagedRows(migrationId);
    const quarantined = await quarantinedRows(migrationId);

    const entry = await archiveSource(db, { dir, migrationId, source: 'customers', kind: 'csv', pass: 1, clock: () => new Date('2024-05-01T10:00:00Z') });
    expect(entry).toMatchObject({ migrationId, source: 'customers', kind: 'csv', pass: 1, file: 'customers.pass-1.jsonl.gz', rows: ROWS, quarantined: 2 });
    expect(entry.createdAt).toBe('2024-05-01T10:00:00.000Z');
    expect(await verifyBackup(dir)).toEqual({ checked: [entry], problems: [] });

    await deleteRows(migrationId);
    expect(await restoreBackup(db, { dir, migrationId })).toEqual({ rows: ROWS, quarantined: 2 });
    expect(await stagedRows(migrationId)).toEqual(staged);
    expect(await quarantinedRows(migrationId)).toEqual(quarantined);
    const arabic = staged[0]!;
    expect(arabic.last_interaction_at).toEqual(new Date('2024-03-01T08:15:30.123Z'));
    expect(arabic.raw).toEqual({ phone: '+971 50 123 4567', name: 'محمد بن راشد', tags: ['vip', 'دبي'], score: 4.5, opted_in: true });

    expect(await restoreBackup(db, { dir, migrationId })).toEqual({ rows: 0, quarantined: 0 });
    expect(await stagedRows(migrationId)).toHaveLength(ROWS);
    expect(await quarantinedRows(migrationId)).toHaveLength(2);
  });

  it('restores under another migration id, leaving the original rows alone', async () => {
    const dir = await backupFolder();
    const migrationId = await stageSource();
    await archiveSource(db, { dir, migrationId, source: 'customers', kind: 'csv', pass: 1 });
    const copy = `${migrationId}-copy`;

    expect(await restoreBackup(db, { dir, migrationId, into: copy })).toEqual({ rows: ROWS, quarantined: 2 });
    const original = await stagedRows(migrationId);
    expect(await stagedRows(copy)).toEqual(original.map((row) => ({ ...row, migration_id: copy })));
    expect(await quarantinedRows(copy)).toEqual((await quarantinedRows(migrationId)).map((row) => ({ ...row, migration_id: copy })));
    expect(original).toHaveLength(ROWS);
  });

  it('replaces the archive and its manifest entry when a pass is archived again, and keeps the other entries', async () => {
    const dir = await backupFolder();
    const migrationId = await stageSource();
    await db
      .insertInto('staged_rows')
      .values({ migration_id: migrationId, source: 'bot', line_no: 1, channel: 'viber', viber_user_id: 'vb-1', raw: JSON.stringify({ id: 'vb-1' }) })
      .execute();
    // Sources are archived in parallel: neither entry may be lost.
    await Promise.all([
      archiveSource(db, { dir, migrationId, source: 'customers', kind: 'csv', pass: 1, clock: () => new Date('2024-05-01T10:00:00Z') }),
      archiveSource(db, { dir, migrationId, source: 'bot', kind: 'viber', pass: 1 }),
    ]);

    const again = await archiveSource(db, { dir, migrationId, source: 'customers', kind: 'csv', pass: 1, clock: () => new Date('2024-05-02T10:00:00Z') });
    const second = await archiveSource(db, { dir, migrationId, source: 'customers', kind: 'csv', pass: 2 });
    const { entries } = await readManifest(dir, migrationId);
    expect(entries.map((e) => [e.source, e.pass, e.rows, e.createdAt])).toEqual([
      ['bot', 1, 1, expect.any(String)],
      ['customers', 1, ROWS, '2024-05-02T10:00:00.000Z'],
      ['customers', 2, ROWS, second.createdAt],
    ]);
    expect(entries[1]).toEqual(again);
    expect((await verifyBackup(dir, migrationId)).problems).toEqual([]);

    await deleteRows(migrationId);
    expect(await restoreBackup(db, { dir, migrationId, source: 'bot' })).toEqual({ rows: 1, quarantined: 0 });
    expect(await stagedRows(migrationId)).toHaveLength(1);
  });

  it('reports a corrupted and a truncated archive, and restores nothing from them', async () => {
    const dir = await backupFolder();
    const migrationId = await stageSource();
    const entry = await archiveSource(db, { dir, migrationId, source: 'customers', kind: 'csv', pass: 1 });
    const file = archivePath(dir, entry);
    const good = `${file}.good`;
    await cp(file, good);
    await deleteRows(migrationId);

    await flipByte(file);
    const corrupted = await verifyBackup(dir, migrationId);
    expect(corrupted.problems).toContainEqual({ file, problem: expect.stringMatching(/^sha256 [0-9a-f]{64} differs from the manifest's/) });
    expect(corrupted.problems.every((p) => p.file === file)).toBe(true);
    await expect(restoreBackup(db, { dir, migrationId })).rejects.toThrow(/failed verification, nothing restored:\n.*sha256/);

    await cp(good, file);
    await truncate(file, entry.bytes - 20);
    const truncated = await verifyBackup(dir, migrationId);
    expect(truncated.problems).toContainEqual({ file, problem: `${entry.bytes - 20} bytes, the manifest says ${entry.bytes}` });
    expect(truncated.problems).toContainEqual({ file, problem: expect.stringMatching(/^unreadable: /) });
    await expect(restoreBackup(db, { dir, migrationId })).rejects.toThrow(/bytes, the manifest says/);
    expect(await stagedRows(migrationId)).toEqual([]);

    await rm(file);
    expect((await verifyBackup(dir, migrationId)).problems).toEqual([{ file, problem: 'missing' }]);
    expect((await verifyBackup(join(dir, 'elsewhere'))).problems).toEqual([{ file: join(dir, 'elsewhere'), problem: 'no backup manifest in this folder' }]);
  });
});

describe('channelshift backup', () => {
  it('verifies a good archive, fails on a corrupted one, and restores from the command line', async () => {
    const dir = await backupFolder();
    const migrationId = await stageSource();
    const entry = await archiveSource(db, { dir, migrationId, source: 'customers', kind: 'csv', pass: 1 });
    const env = { ...process.env, DATABASE_URL: inject('databaseUrl') };

    const good = await finished(channelshift(['backup', 'verify', dir], env));
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toBe(`${migrationId}  customers  pass 1  ${ROWS} rows  2 quarantined  OK\n`);

    const copy = `${migrationId}-cli`;
    const restore = await finished(channelshift(['backup', 'restore', dir, '--migration', migrationId, '--into', copy], env));
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stdout).toBe(`${ROWS} staged rows and 2 quarantined rows restored into migration ${copy}\n`);

    const usage = await finished(channelshift(['backup', 'restore', dir], env));
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('backup restore needs --migration ID');

    await flipByte(archivePath(dir, entry));
    const corrupted = await finished(channelshift(['backup', 'verify', dir, '--migration', migrationId], env));
    expect(corrupted.code).toBe(1);
    expect(corrupted.stdout).toContain(`${migrationId}  customers  pass 1  ${ROWS} rows  2 quarantined  FAILED\n`);
    expect(corrupted.stdout).toContain(`${archivePath(dir, entry)}: sha256 `);
    expect(corrupted.stderr).toMatch(/^channelshift backup: \d+ problems? in the backup$/m);
  });
});
