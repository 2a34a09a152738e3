import { randomUUID } from 'node:crypto';
import pg from 'pg';

export interface SandboxDatabase {
  url: string;
  /** Kept when CHANNELSHIFT_TEST_DATABASE asks to keep the run's data for a look afterwards. */
  drop(): Promise<void>;
}

/**
 * A database of the sandbox's own, named after the run's (`<run database>_<8 hex>`; the run's teardown drops any
 * left behind): consent belongs to a number product-wide, so two test files whose generated customers happen to
 * share a number would otherwise see each other's yes and STOP.
 */
export async function createSandboxDatabase(runDatabaseUrl: string): Promise<SandboxDatabase> {
  const url = new URL(runDatabaseUrl);
  const name = `${url.pathname.slice(1)}_${randomUUID().slice(0, 8)}`;
  url.pathname = `/${name}`;
  await onServer(runDatabaseUrl, `CREATE DATABASE ${name}`);
  return {
    url: url.toString(),
    async drop() {
      if (process.env.CHANNELSHIFT_TEST_DATABASE) return;
      await onServer(runDatabaseUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

async function onServer(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
