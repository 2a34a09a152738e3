import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { bundleWorkflowCode } from '@temporalio/worker';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { TestProject } from 'vitest/node';
import { findOrInstallTemporalCli } from '../../temporal/cli-install.ts';
import { workflowsPath } from '../../worker/migration-worker.ts';
import { migrationSearchAttributes } from '../../workflows/search-attributes.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalNamespace: string;
    databaseUrl: string;
    workflowBundlePath: string;
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
  const cliPath = await findOrInstallTemporalCli(console.log);
  const environment = await TestWorkflowEnvironment.createLocal({
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
  writeFileSync(workflowBundlePath, (await bundleWorkflowCode({ workflowsPath, logger: quietBundlerLogger })).code);

  project.provide('temporalAddress', environment.address);
  project.provide('temporalNamespace', 'channelshift');
  project.provide('databaseUrl', databaseUrl.toString());
  project.provide('workflowBundlePath', workflowBundlePath);

  return async () => {
    await environment.teardown();
    rmSync(bundleDir, { recursive: true, force: true });
    if (NAMED_DATABASE) return;
    const cleanup = new pg.Client({ connectionString: maintenanceUrl });
    await cleanup.connect();
    await cleanup.query(`DROP DATABASE IF EXISTS ${TEST_DATABASE} WITH (FORCE)`);
    await cleanup.end();
  };
}

const ignore = () => {};
const quietBundlerLogger = { trace: ignore, debug: ignore, info: ignore, warn: console.warn, error: console.error, log: ignore };
