// Cleaning at scale: N staged rows (1,000,000 by default) normalised and merged by the worker's activities on
// PostgreSQL, with the time of each step and the worker's peak memory while it cleans.
import { parseArgs } from 'node:util';
import { MockActivityEnvironment } from '@temporalio/testing';
import { normalizeStagedRowsActivity } from '../activities/clean/normalize-staged-rows.ts';
import { mergeContactsActivity } from '../activities/clean/merge-contacts.ts';
import { openDatabase } from '../database/connect.ts';
import { customerBaseColumns } from '../demo/customer-base.ts';
import { customerBaseFile } from './customer-base-file.ts';
import { stageSource } from '../test/support/stage-source.ts';

async function runCleanAtScaleBench(rows: number, databaseUrl: string | undefined): Promise<void> {
  if (!databaseUrl) {
    console.log(`clean at scale: skipped, it needs PostgreSQL (set DATABASE_URL); ${rows} rows are too many for the embedded database`);
    return;
  }
  const file = customerBaseFile(rows);

  const db = await openDatabase({ kind: 'postgres', url: databaseUrl });
  const migrationId = `bench-clean-${Date.now().toString(36)}`;
  const activity = new MockActivityEnvironment();
  try {
    const timed = async <T>(run: () => Promise<T>) => {
      const started = performance.now();
      let peak = process.memoryUsage().rss;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
      try {
        const result = await run();
        return { result, seconds: (performance.now() - started) / 1000, peakMiB: Math.round(peak / 2 ** 20) };
      } finally {
        clearInterval(sampler);
      }
    };
    const source = { kind: 'csv' as const, name: 'bench', path: file, columns: customerBaseColumns };
    const staged = await timed(() => stageSource(db, migrationId, source));
    const normalized = await timed(() => activity.run(normalizeStagedRowsActivity({ db }), migrationId, {}));
    const merged = await timed(() => activity.run(mergeContactsActivity({ db }), migrationId));
    const { contacts } = merged.result as { contacts: number };

    console.log(`\nclean at scale: ${rows} staged rows → ${contacts} contacts, on ${new URL(databaseUrl).host}`);
    console.log(`  stage      ${staged.seconds.toFixed(1)} s (${Math.round(rows / staged.seconds)} rows/s), peak RSS ${staged.peakMiB} MiB`);
    console.log(`  normalise  ${normalized.seconds.toFixed(1)} s (${Math.round(rows / normalized.seconds)} rows/s), peak RSS ${normalized.peakMiB} MiB`);
    console.log(`  merge      ${merged.seconds.toFixed(1)} s (set-based SQL), peak RSS ${merged.peakMiB} MiB`);
    console.log(`  clean and merge: ${(normalized.seconds + merged.seconds).toFixed(1)} s, worker peak RSS ${Math.max(normalized.peakMiB, merged.peakMiB)} MiB (target < 1024)`);
  } finally {
    await db.deleteFrom('staged_rows').where('migration_id', '=', migrationId).execute();
    await db.deleteFrom('contacts').where('migration_id', '=', migrationId).execute();
    await db.destroy();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { rows: { type: 'string', default: '1000000' } } });
  await runCleanAtScaleBench(Number(values.rows), process.env.DATABASE_URL);
}
