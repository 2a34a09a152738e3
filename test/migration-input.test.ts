import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrationInputProblems } from '../workflows/migration-input.ts';
import { readMigrationConfig } from '../cli/migration-config.ts';

const valid = { migrationId: 'acme-2026', source: { kind: 'csv', name: 'crm-export', path: 'customers.csv', columns: { phone: 'Mobile' } } };

describe('migration input', () => {
  it('accepts the documented example', () => {
    expect(migrationInputProblems({ ...valid, batchSize: 1000, concurrency: 4, source: { ...valid.source, defaultCountry: 'AE' } })).toEqual([]);
  });

  it('names each wrong field', () => {
    expect(migrationInputProblems({ migrationId: 'ACME 2026', source: { kind: 'csv', name: '', path: 'x', columns: {} }, concurrency: 0 })).toEqual([
      'migrationId: 1 to 63 characters of a-z, 0-9, "-" and "_", starting with a letter or digit',
      'source.name: a non-empty string is required',
      'source.columns.phone: the name of the phone number column is required',
      'concurrency: a whole number from 1 to 32',
    ]);
    expect(migrationInputProblems([])).toEqual(['the input must be a JSON object']);
  });

  it('reads a config file and resolves the source path from its folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'channelshift-config-'));
    writeFileSync(join(dir, 'migration.json'), JSON.stringify(valid));
    expect((await readMigrationConfig(join(dir, 'migration.json'))).source.path).toBe(join(dir, 'customers.csv'));
  });

  it('says which file is not JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'channelshift-config-'));
    writeFileSync(join(dir, 'broken.json'), '{ "migrationId": ');
    await expect(readMigrationConfig(join(dir, 'broken.json'))).rejects.toThrow(/broken\.json: not valid JSON/);
    await expect(readMigrationConfig(join(dir, 'missing.json'))).rejects.toThrow(/missing\.json: no such file/);
  });
});
