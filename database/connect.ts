import { mkdirSync } from 'node:fs';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';
import { migrateToLatest } from './migrate.ts';
import { secretVariable } from '../worker/secret-environment.ts';
import { processLog } from '../privacy/structured-log.ts';

export type DatabaseLocation = { kind: 'postgres'; url: string } | { kind: 'embedded'; dataDir: string };

/**
 * `DATABASE_URL` (or the file `DATABASE_URL_FILE` names) when given; otherwise the embedded PostgreSQL (PGlite) in a
 * local folder, so a demo needs no install.
 */
export function databaseLocation(env: NodeJS.ProcessEnv = process.env): DatabaseLocation {
  const url = secretVariable(env, 'DATABASE_URL');
  if (url) return { kind: 'postgres', url };
  return { kind: 'embedded', dataDir: env.CHANNELSHIFT_EMBEDDED_DB ?? '.channelshift/pglite' };
}

export function describeLocation(location: DatabaseLocation): string {
  return location.kind === 'postgres'
    ? `PostgreSQL at ${new URL(location.url).host}`
    : `embedded PostgreSQL (PGlite) in ${location.dataDir}`;
}

/** Opens the database and brings its schema to the latest migration. */
export async function openDatabase(location: DatabaseLocation): Promise<Kysely<Database>> {
  const db = location.kind === 'postgres' ? openPostgres(location.url) : await openEmbedded(location.dataDir);
  await migrateToLatest(db);
  return db;
}

function openPostgres(url: string): Kysely<Database> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // A connection the server closes (a restart, a failover, an administrator) emits an error on its client, idle or in
  // use (node-postgres' advice: listen on every client), and the process would end where nothing listens. One in use
  // fails its query or transaction first. The pool drops it either way, and the next query opens a new one.
  pool.on('connect', (client) =>
    client.on('error', (error: Error & { code?: string }) =>
      processLog.warn('A PostgreSQL connection was closed by the server', { reason: error.message, code: error.code }),
    ),
  );
  // The pool repeats an idle client's error as its own: logged above already.
  pool.on('error', () => {});
  // bigint ids come back as strings (lossless); counts are cast to int in the queries that need numbers.
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

async function openEmbedded(dataDir: string): Promise<Kysely<Database>> {
  // Loaded only when used: production never pays for the WASM build.
  const [{ PGlite }, { PGliteDialect }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('kysely-pglite-dialect'),
  ]);
  mkdirSync(dataDir, { recursive: true });
  return new Kysely<Database>({ dialect: new PGliteDialect(new PGlite(dataDir)) });
}
