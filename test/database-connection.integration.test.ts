import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { openDatabase } from '../database/connect.ts';
import type { Database } from '../database/schema.ts';
import { createSandboxDatabase, type SandboxDatabase } from './support/sandbox-database.ts';
import { until } from './support/until.ts';

describe('the PostgreSQL connection of a worker', () => {
  let database: SandboxDatabase;
  let db: Kysely<Database>;

  beforeAll(async () => {
    database = await createSandboxDatabase(inject('databaseUrl'));
    db = await openDatabase({ kind: 'postgres', url: database.url });
  });
  afterAll(async () => {
    await db.destroy();
    await database.drop();
  });

  it('outlives the server closing its idle connections, as a restart or an administrator does', async () => {
    await Promise.all([1, 2, 3].map(() => sql`select pg_sleep(0.05)`.execute(db)));

    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      const { rows } = await admin.query(
        'select count(pg_terminate_backend(pid))::int as closed from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
      );
      expect(rows[0].closed).toBeGreaterThanOrEqual(3);
    } finally {
      await admin.end();
    }
    // The server's notices reach the idle clients; the pool drops them instead of ending the process.
    await new Promise((resolve) => setTimeout(resolve, 200));

    const { rows } = await sql<{ answer: number }>`select 42 as answer`.execute(db);
    expect(rows).toEqual([{ answer: 42 }]);
  });

  it('outlives the server ending connections in the middle of a query and of a transaction: that work fails, the process goes on', async () => {
    // Their failures are taken as they come: a rejection nobody holds yet would count as unhandled.
    const failureOf = (work: Promise<unknown>) => work.then(() => undefined, (error: Error) => error);
    const query = failureOf(sql`select pg_sleep(30)`.execute(db));
    const transaction = failureOf(
      db.transaction().execute(async (trx) => {
        await sql`select 1`.execute(trx);
        await sql`select pg_sleep(30)`.execute(trx);
      }),
    );
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      const sleeping = async () =>
        (await admin.query("select count(*)::int as n from pg_stat_activity where datname = current_database() and query like 'select pg_sleep(30)%'")).rows[0].n;
      await until(async () => (await sleeping()) === 2, 'both statements running');
      await admin.query("select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query like 'select pg_sleep(30)%'");
    } finally {
      await admin.end();
    }
    expect((await query)?.message).toMatch(/terminat/);
    expect((await transaction)?.message).toMatch(/terminat/);
    // Without a listener on each client, the connection's end would have been an uncaught error that ends the process.
    await new Promise((resolve) => setTimeout(resolve, 200));

    const { rows } = await sql<{ answer: number }>`select 42 as answer`.execute(db);
    expect(rows).toEqual([{ answer: 42 }]);
  });
});
