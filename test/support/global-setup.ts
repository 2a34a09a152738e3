import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { bundleWorkflowCode } from '@temporalio/worker';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { TestProject } from 'vitest/node';
import { CODEC_KEYS_FILE_VARIABLE, CODEC_KEYS_VARIABLE, codecKeys, newCodecKeyText } from '../../privacy/codec-keys.ts';
import { encryptingDataConverter, failureConverterPath } from '../../privacy/data-converter.ts';
import { findOrInstallTemporalCli } from '../../temporal/cli-install.ts';
import { workflowsPath } from '../../worker/migration-worker.ts';
import { migrationSearchAttributes } from '../../workflows/search-attributes.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalNamespace: string;
    databaseUrl: string;
    workflowBundlePath: string;
    /** The run's payload encryption keys, as CHANNELSHIFT_CODEC_KEYS_FILE names them to the product. */
    codecKeysFile: string;
  }
}

// Runs side by side (two checkouts, a test file run beside the whole suite) each get a database of their own, dropped
// at the end; CHANNELSHIFT_TEST_DATABASE names one to keep for a look afterwards.
const NAMED_DATABASE = process.env.CHANNELSHIFT_TEST_DATABASE;
const TEST_DATABASE = NAMED_DATABASE || `channelshift_test_${process.pid}`;

/**
 * One real Temporal dev server, one fresh PostgreSQL database and one workflow bundle for the whole run.
 * POSTGRES_URL names the server's maintenance database (default: the local one with trust auth).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // A key of the run's own, in the environment too, so a command a test runs in its own process finds it as a user's would.
  const keysDir = mkdtempSync(join(tmpdir(), 'channelshift-codec-'));
  const codecKeysFile = join(keysDir, 'codec-keys');
  writeFileSync(codecKeysFile, newCodecKeyText('test'), { mode: 0o600 });
  delete process.env[CODEC_KEYS_VARIABLE];
  process.env[CODEC_KEYS_FILE_VARIABLE] = codecKeysFile;

  const cliPath = await findOrInstallTemporalCli(console.log);
  const environment = await TestWorkflowEnvironment.createLocal({
    client: { dataConverter: encryptingDataConverter(codecKeys()) },
    server: {
      executable: { type: 'existing-path', path: cliPath },
      namespace: 'channelshift',
      searchAttributes: migrationSearchAttributes,
    },
  });

  const maintenanceUrl = process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const admin = new pg.Client({ connectionString: maintenanceUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${TEST_DATABASE} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${TEST_DATABASE}`);
  await admin.end();
  const databaseUrl = new URL(maintenanceUrl);
  databaseUrl.pathname = `/${TEST_DATABASE}`;

  const bundleDir = mkdtempSync(join(tmpdir(), 'channelshift-bundle-'));
  const workflowBundlePath = join(bundleDir, 'workflows.js');
  writeFileSync(workflowBundlePath, (await bundleWorkflowCode({ workflowsPath, failureConverterPath, logger: quietBundlerLogger })).code);

  project.provide('temporalAddress', environment.address);
  project.provide('temporalNamespace', 'channelshift');
  project.provide('databaseUrl', databaseUrl.toString());
  project.provide('workflowBundlePath', workflowBundlePath);
  project.provide('codecKeysFile', codecKeysFile);

  return async () => {
    await environment.teardown();
    rmSync(bundleDir, { recursive: true, force: true });
    rmSync(keysDir, { recursive: true, force: true });
    if (NAMED_DATABASE) return;
    const cleanup = new pg.Client({ connectionString: maintenanceUrl });
    await cleanup.connect();
    await cleanup.query(`DROP DATABASE IF EXISTS ${TEST_DATABASE} WITH (FORCE)`);
    // Sandboxes' own databases (test/support/sandbox-database.ts) that a failed test left behind.
    const { rows } = await cleanup.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`${TEST_DATABASE}\\_%`]);
    for (const { datname } of rows) await cleanup.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    await cleanup.end();
  };
}

const ignore = () => {};
const quietBundlerLogger = { trace: ignore, debug: ignore, info: ignore, warn: console.warn, error: console.error, log: ignore };
