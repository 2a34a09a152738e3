// `npm run bench`: every benchmark, each in a process of its own so that none is measured with another's memory
// or warm-up. Set DATABASE_URL to run them on PostgreSQL (the million-row cleaning needs it); otherwise the slice
// runs on the embedded database.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const benchmarks = [
  ['normalize.bench.ts', '--entries', '100000'],
  ['extraction.bench.ts'],
  ['opt-in.bench.ts'],
  ['crm-sync.bench.ts', '--contacts', '100000'],
  ['migration.bench.ts', '--rows', '100000'],
  ['clean-at-scale.bench.ts', '--rows', '1000000'],
] as const;

for (const [file, ...args] of benchmarks) {
  const run = spawnSync(process.execPath, [fileURLToPath(new URL(file, import.meta.url)), ...args], { stdio: 'inherit' });
  if (run.status !== 0) process.exit(run.status ?? 1);
}
