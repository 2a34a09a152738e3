// `npm run bench`: every benchmark, figures printed. Set DATABASE_URL to run them on PostgreSQL (the
// million-row cleaning needs it); otherwise the slice runs on the embedded database.
import { runMigrationSliceBench } from './migration.bench.ts';
import { runNormalizeBench } from './normalize.bench.ts';
import { runCleanAtScaleBench } from './clean-at-scale.bench.ts';

// The normaliser first, while the process is fresh: its figures are the most sensitive to what ran before.
await runNormalizeBench(100_000);
await runMigrationSliceBench(100_000);
await runCleanAtScaleBench(1_000_000, process.env.DATABASE_URL);
