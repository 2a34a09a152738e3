import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MigrationSummary } from '../workflows/migration-progress.ts';
import { openSandbox, type Sandbox } from './support/sandbox.ts';
import { customerBaseMigration } from './support/migration-run.ts';
import { channelshift, finished } from './support/worker-process.ts';

describe('channelshift command line', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await openSandbox();
    await sandbox.startWorker();
  });
  afterAll(async () => sandbox.close());

  it('migrates from a config file, reports status and data quality, and exports contacts and rejected rows', async () => {
    const { input, truth } = await customerBaseMigration(sandbox, 2500);
    const config = join(sandbox.dataDir, 'migration.json');
    // A relative source path is read from the config file's folder.
    writeFileSync(config, JSON.stringify({ ...input, sources: [{ ...input.sources[0]!, path: `${input.migrationId}.csv` }] }));

    const migrate = await finished(channelshift(['migrate', '--config', config, '--json'], sandbox.processEnv));
    expect(migrate.code, migrate.stderr).toBe(0);
    const summary = JSON.parse(migrate.stdout) as MigrationSummary;
    expect(summary).toMatchObject({ stage: 'done', extracted: truth.rows, valid: truth.validRows, contacts: truth.distinctNumbers });
    expect(summary.synced).toBe(summary.contacts);

    const status = await finished(channelshift(['status', input.migrationId, '--json'], sandbox.processEnv));
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toEqual({ status: 'COMPLETED', progress: summary });

    const quality = await finished(channelshift(['quality', input.migrationId], sandbox.processEnv));
    expect(quality.code, quality.stderr).toBe(0);
    expect(JSON.parse(quality.stdout)).toEqual({ migrationId: input.migrationId, contacts: summary.contacts, ...summary.quality });

    const out = join(sandbox.dataDir, 'export.csv');
    const exported = await finished(channelshift(['export', input.migrationId, '--out', out], sandbox.processEnv));
    expect(exported.code, exported.stderr).toBe(0);
    const contacts = parse(readFileSync(out), { columns: true }) as Record<string, string>[];
    expect(contacts).toHaveLength(summary.contacts);
    expect(contacts.every((c) => /^\+[1-9]\d{6,14}$/.test(c.e164!) && c.hubspot_id !== '')).toBe(true);
    const rejected = parse(readFileSync(join(sandbox.dataDir, 'export.rejected.csv')), { columns: true }) as Record<string, string>[];
    expect(rejected).toHaveLength(summary.rejected);
    expect(rejected.every((r) => r.reason !== '' && Number(r.line) >= 2)).toBe(true);
  });

  it('shows progress as plain lines when not on a terminal, then the summary', async () => {
    const { input } = await customerBaseMigration(sandbox, 1200);
    const config = join(sandbox.dataDir, 'plain.json');
    writeFileSync(config, JSON.stringify(input));

    const migrate = await finished(channelshift(['migrate', '--config', config], sandbox.processEnv));
    expect(migrate.code, migrate.stderr).toBe(0);
    expect(migrate.stderr).toMatch(/^extract$/m);
    expect(migrate.stderr).toMatch(/^done: (\d+)\/\1 batches$/m);
    expect(migrate.stdout).toMatch(new RegExp(`^Migration ${input.migrationId}: done$`, 'm'));
    expect(migrate.stdout).toMatch(/^ {2}synced +\d+ contact writes to the CRMs, 0 already current, 0 refused/m);
  });

  it('names every wrong field of a config file and starts nothing', async () => {
    const config = join(sandbox.dataDir, 'broken.json');
    writeFileSync(config, JSON.stringify({ migrationId: 'ok-id', sources: [{ kind: 'xls', name: 'c', path: 'c.csv', columns: { phone: 'phone' }, defaultCountry: 'uae' }] }));
    const migrate = await finished(channelshift(['migrate', '--config', config], sandbox.processEnv));
    expect(migrate.code).toBe(1);
    expect(migrate.stderr).toContain('sources[0].kind: one of csv, vonage, vonage-report-file, plivo, viber');
    expect(migrate.stderr).toContain('sources[0].defaultCountry: an ISO 3166 alpha-2 code');
  });

  it('explains its usage when a command is wrong', async () => {
    const run = await finished(channelshift(['export', 'some-id'], sandbox.processEnv));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('export needs the migration id and --out FILE');
    expect(run.stderr).toContain('channelshift migrate --config FILE');
  });
});
