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
  await onServer(runDatabaseUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  return {
    url: url.toString(),
    async drop() {
      if (process.env.CHANNELSHIFT_TEST_DATABASE) return;
      await onServer(runDatabaseUrl, async (client) => {
        await untilDisconnected(client, name);
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      });
    },
  };
}

/**
 * A pool's end resolves before its connections have closed; forcing the drop while they close would make the server
 * end them under the test, so the drop waits for them (a little: a connection a test leaked is ended by the force).
 */
async function untilDisconnected(client: pg.Client, database: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const { rows } = await client.query('select count(*)::int as connections from pg_stat_activity where datname = $1', [database]);
    if (rows[0].connections === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function onServer(url: string, work: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}
