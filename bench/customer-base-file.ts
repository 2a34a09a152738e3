import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeCustomerBase } from '../demo/customer-base.ts';

/**
 * A generated customer base of `rows` rows in the temporary folder, kept for later runs. It is written by a
 * process of its own, so the memory generating takes is not counted against what a benchmark measures.
 */
export function customerBaseFile(rows: number): string {
  const file = join(tmpdir(), `channelshift-bench-${rows}.csv`);
  if (!existsSync(file)) {
    const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), file, String(rows)], { stdio: 'inherit' });
    if (run.status !== 0) throw new Error(`generating ${file} failed`);
  }
  return file;
}

if (import.meta.main) {
  const [file, rows] = process.argv.slice(2);
  const truth = await writeCustomerBase(file!, Number(rows));
  console.error(`Generated ${truth.rows} rows (${truth.distinctNumbers} distinct valid numbers) in ${file}.`);
}
