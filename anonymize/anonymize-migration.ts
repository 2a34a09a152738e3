import { randomInt } from 'node:crypto';
import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from '../database/schema.ts';
import { isPersonal, personalDataPlaces, type PersonalDataPlace, type TableName } from '../privacy/personal-data.ts';
import { migrationRows, type MigrationRows, type NoMigrationRows } from './migration-rows.ts';
import { Pseudonyms } from './pseudonyms.ts';

/** Rows read and written at a time: a run's million staged rows pass through in pages, never all at once. */
const PAGE_SIZE = 2000;

export interface CopiedTable {
  table: TableName;
  rows: number;
}

export interface AnonymizedCopy {
  migrationId: string;
  /** The copy's migration id. */
  copyId: string;
  tables: CopiedTable[];
  /** Tables that hold no rows of any one migration, and why. */
  notCopied: { table: TableName; why: string }[];
  numbers: number;
  viberUsers: number;
  seconds: number;
}

export interface AnonymizeOptions {
  /** The copy's migration id (default: the original's). */
  as?: string;
  /** Called as each table is done. */
  onTable?: (copied: CopiedTable) => void;
}

/**
 * Copies every row of migration `migrationId` from `source` into `target` with every personal column of the
 * inventory (privacy/personal-data.ts) replaced by its pseudonym: the same fake for the same original in every
 * table, ids and relations kept, so the copy works with the product. The source is read in one read-only snapshot;
 * the copy is written in one transaction, so a failure leaves the target as it was.
 */
export async function anonymizeMigration(
  source: Kysely<Database>,
  target: Kysely<Database>,
  migrationId: string,
  options: AnonymizeOptions = {},
): Promise<AnonymizedCopy> {
  const copyId = options.as ?? migrationId;
  const started = performance.now();
  const rows = migrationRows(migrationId);
  const pseudonyms = new Pseudonyms();
  return source.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute((from) =>
    target.transaction().execute(async (to) => {
      await refuseSameDatabase(from, to);
      if ((await firstTableHolding(from, rows)) === null) throw new Error(`no data for migration "${migrationId}" in this database`);
      const held = await firstTableHolding(to, migrationRows(copyId));
      if (held !== null) throw new Error(`the target database already holds migration "${copyId}" (rows in ${held})`);

      await learnOriginals(from, rows, pseudonyms);
      const rename = renaming(migrationId, copyId);
      const tables: CopiedTable[] = [];
      const notCopied: AnonymizedCopy['notCopied'] = [];
      for (const place of personalDataPlaces) {
        const scope = rows[place.table];
        if ('notOfAMigration' in scope) {
          notCopied.push({ table: place.table, why: scope.notOfAMigration });
          continue;
        }
        const copied = { table: place.table, rows: await copyTable(from, to, place, scope, pseudonyms, rename) };
        tables.push(copied);
        options.onTable?.(copied);
      }
      await advanceSequences(to);
      return {
        migrationId,
        copyId,
        tables,
        notCopied,
        numbers: pseudonyms.phones.size,
        viberUsers: pseudonyms.viberUsers.size,
        seconds: (performance.now() - started) / 1000,
      };
    }),
  );
}

/**
 * Refuses a target that is the source itself under another URL (a host alias, another port forward): the target
 * takes an advisory lock with random keys, and the source looks for that lock in its own database.
 */
async function refuseSameDatabase(from: Transaction<Database>, to: Transaction<Database>): Promise<void> {
  const [classId, objectId] = [randomInt(1, 2 ** 31 - 1), randomInt(1, 2 ** 31 - 1)];
  await sql`SELECT pg_advisory_xact_lock(${classId}::int, ${objectId}::int)`.execute(to);
  const { rows: [seen] } = await sql<{ same: boolean }>`
    SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = ${classId}::int::oid AND objid = ${objectId}::int::oid
      AND objsubid = 2 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())) AS same`.execute(from);
  if (seen!.same) throw new Error('the target is the database the migration is read from: an anonymised copy goes to another database');
}

/** The first table with rows of the migration, or null. */
async function firstTableHolding(db: Transaction<Database>, rows: ReturnType<typeof migrationRows>): Promise<TableName | null> {
  for (const [table, scope] of Object.entries(rows) as [TableName, MigrationRows | NoMigrationRows][]) {
    if ('notOfAMigration' in scope) continue;
    const { rows: [found] } = await sql<{ any: boolean }>`SELECT EXISTS (SELECT 1 FROM ${sql.table(table)} AS t WHERE ${scope.where}) AS any`.execute(db);
    if (found!.any) return table;
  }
  return null;
}

/**
 * Every number and Viber user of the migration, before any fake is drawn: a fake is then never another customer's
 * real number or id, and every form of them in a record can be recognised, whichever table it turns up in.
 */
async function learnOriginals(from: Transaction<Database>, rows: ReturnType<typeof migrationRows>, pseudonyms: Pseudonyms): Promise<void> {
  const valuesOf = (kind: 'phone' | 'viber_user') => {
    const selects = personalDataPlaces.filter(isPersonal).flatMap((place) => {
      const scope = rows[place.table];
      if ('notOfAMigration' in scope) return [];
      return place.personal
        .filter((column) => column.kind === kind)
        .map(({ column }) => sql`SELECT t.${sql.ref(column)} AS value FROM ${sql.table(place.table)} AS t WHERE ${scope.where} AND t.${sql.ref(column)} IS NOT NULL`);
    });
    return sql.join(selects, sql` UNION `);
  };
  const numbers: string[] = [];
  for await (const page of pages<{ value: string }>(from, 'anonymize_numbers', sql`${valuesOf('phone')} ORDER BY 1`)) {
    for (const { value } of page) numbers.push(value);
  }
  for (const number of numbers) pseudonyms.phones.avoid(number);
  for (const number of numbers) pseudonyms.phones.fake(number);
  const users: string[] = [];
  for await (const page of pages<{ value: string }>(from, 'anonymize_viber_users', sql`${valuesOf('viber_user')} ORDER BY 1`)) {
    for (const { value } of page) users.push(value);
  }
  for (const user of users) pseudonyms.viberUsers.avoid(user);
  for (const user of users) pseudonyms.viberUsers.fake(user);
}

async function copyTable(
  from: Transaction<Database>,
  to: Transaction<Database>,
  place: PersonalDataPlace,
  scope: MigrationRows,
  pseudonyms: Pseudonyms,
  rename: (row: Record<string, unknown>) => void,
): Promise<number> {
  const table = sql.table(place.table);
  const query = sql`SELECT to_jsonb(t)::text AS row, ${scope.e164 ?? sql`NULL`} AS e164 FROM ${table} AS t WHERE ${scope.where}`;
  let copied = 0;
  // One page is written while the next is read and pseudonymised.
  let writing: Promise<unknown> = Promise.resolve();
  for await (const page of pages<{ row: string; e164: string | null }>(from, `anonymize_${place.table}`, query)) {
    const rows = page.map(({ row, e164 }) => {
      const values = parseRow(row, place.table);
      if (isPersonal(place)) pseudonyms.replace(place, values, e164);
      rename(values);
      return values;
    });
    await writing;
    // Postgres rebuilds each row from its JSON by the table's own column types: timestamps keep their microseconds.
    writing = sql`INSERT INTO ${table} SELECT * FROM jsonb_populate_recordset(NULL::${table}, ${JSON.stringify(rows)}::jsonb)`
      .execute(to)
      .catch((error: unknown) => {
        throw new Error(`${place.table}: ${clashExplained(error)}`, { cause: error });
      });
    // Its failure is met at the next await; until then it must not count as unhandled.
    writing.catch(() => {});
    copied += rows.length;
  }
  await writing;
  return copied;
}

/** Rows keep their ids, so a target holding the same ids (a copy of the same data under another id) cannot take them. */
function clashExplained(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (error as { code?: string }).code === '23505' ? `${message}: the target holds rows with these ids already; copy into an empty database` : message;
}

/** Pages of a query's rows through a cursor of the snapshot's transaction. */
async function* pages<R>(db: Transaction<Database>, cursor: string, query: RawBuilder<unknown>): AsyncGenerator<R[]> {
  const name = sql.id(cursor);
  await sql`DECLARE ${name} NO SCROLL CURSOR FOR ${query}`.execute(db);
  for (;;) {
    const { rows } = await sql<R>`FETCH ${sql.lit(PAGE_SIZE)} FROM ${name}`.execute(db);
    if (rows.length === 0) break;
    yield rows;
  }
  await sql`CLOSE ${name}`.execute(db);
}

/** A row as `to_jsonb` wrote it. A number beyond 2^53 would change on the way through JavaScript: it stops the copy. */
function parseRow(text: string, table: TableName): Record<string, unknown> {
  const exact = (key: string, value: unknown) => {
    if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) {
      throw new Error(`${table}: the number in "${key}" is beyond 2^53 and cannot be copied exactly`);
    }
    return value;
  };
  return JSON.parse(text, exact) as Record<string, unknown>;
}

/** Under `--as`, the copy's rows name the copy: its migration id, and a campaign named after the migration (the default). */
function renaming(migrationId: string, copyId: string): (row: Record<string, unknown>) => void {
  if (copyId === migrationId) return () => {};
  return (row) => {
    if (row.migration_id === migrationId) row.migration_id = copyId;
    if (row.campaign_id === migrationId) row.campaign_id = copyId;
    const config = row.config;
    if (typeof config === 'object' && config !== null && (config as { migrationId?: unknown }).migrationId === migrationId) {
      row.config = { ...config, migrationId: copyId };
    }
  };
}

/** Moves every sequence past the ids copied, so the product's next insert in the copy takes a free id. */
async function advanceSequences(to: Transaction<Database>): Promise<void> {
  const { rows } = await sql<{ table_name: string; column_name: string; sequence: string }>`
    SELECT table_name, column_name, substring(column_default from 'nextval\\(''([^'']+)''') AS sequence
    FROM information_schema.columns WHERE table_schema = current_schema() AND column_default LIKE 'nextval(%'`.execute(to);
  for (const { table_name, column_name, sequence } of rows) {
    await sql`SELECT setval(${sequence}::regclass, GREATEST(coalesce(pg_sequence_last_value(${sequence}::regclass), 1),
      (SELECT coalesce(max(${sql.ref(column_name)}), 0) FROM ${sql.table(table_name)})))`.execute(to);
  }
}
