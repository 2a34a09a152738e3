import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Kysely } from 'kysely';
import { normalizeStagedRowsActivity } from '../activities/clean/normalize-staged-rows.ts';
import { mergeContactsActivity } from '../activities/clean/merge-contacts.ts';
import { planBatchesActivity } from '../activities/verify/plan-batches.ts';
import { openDatabase } from '../database/connect.ts';
import type { Database } from '../database/schema.ts';
import { customerBaseColumns, writeCustomerBase } from '../demo/customer-base.ts';
import { stageSource } from './support/stage-source.ts';

// The demo's zero-install database: the same schema and the same set-based SQL must work on PGlite.
describe('embedded database (PGlite) when DATABASE_URL is not set', () => {
  let dir: string;
  let db: Kysely<Database>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'channelshift-pglite-'));
    db = await openDatabase({ kind: 'embedded', dataDir: join(dir, 'pglite') });
  });
  afterAll(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stages, normalises, merges and plans batches', async () => {
    const file = join(dir, 'customers.csv');
    const truth = await writeCustomerBase(file, 2500);
    const activity = new MockActivityEnvironment();
    const source = { kind: 'csv' as const, name: 'customers', path: file, columns: customerBaseColumns };

    expect(await stageSource(db, 'embedded', source)).toMatchObject({ done: true, rows: truth.rows, quarantined: 0 });
    expect(await activity.run(normalizeStagedRowsActivity({ db }), 'embedded', {})).toEqual({ valid: truth.validRows, rejected: truth.rejectedRows });
    const merged = await activity.run(mergeContactsActivity({ db }), 'embedded');
    expect(merged).toMatchObject({ contacts: truth.distinctNumbers, duplicatesMerged: truth.validRows - truth.distinctNumbers });
    expect(await activity.run(planBatchesActivity({ db }), 'embedded', 1000, 'pass-1')).toEqual({ firstBatch: 0, batches: Math.ceil(truth.distinctNumbers / 1000) });
  });
});
