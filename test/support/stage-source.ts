import { setTimeout as sleep } from 'node:timers/promises';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Kysely } from 'kysely';
import { extractSourceActivity, type ExtractSourceProgress } from '../../activities/extract/extract-source.ts';
import type { SourceConnectors } from '../../activities/extract/source-connectors.ts';
import type { Database } from '../../database/schema.ts';
import type { Source } from '../../workflows/migration-input.ts';

/** Runs a source's extraction activity to the end of its pass outside any workflow, as tests and benchmarks need. */
export async function stageSource(
  db: Kysely<Database>,
  migrationId: string,
  source: Source,
  options: { sources?: SourceConnectors; passId?: string; incremental?: boolean } = {},
): Promise<ExtractSourceProgress> {
  const extract = extractSourceActivity({ db, sources: options.sources ?? {}, clock: () => new Date() });
  const request = { migrationId, source, passId: options.passId ?? 'test', incremental: options.incremental ?? false };
  for (;;) {
    const progress = (await new MockActivityEnvironment().run(extract, request)) as ExtractSourceProgress;
    if (progress.done) return progress;
    // As the workflow would: a source that asks to wait (a rate window, a report being made) is asked again later.
    await sleep(progress.waitMs);
  }
}
