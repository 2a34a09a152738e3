import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { openDatabase } from '../database/connect.ts';
import type { Database } from '../database/schema.ts';
import { createSandboxDatabase, type SandboxDatabase } from './support/sandbox-database.ts';

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
});
