import { proxyActivities, sleep, workflowInfo, continueAsNew } from '@temporalio/workflow';
import type { MigrationActivities } from '../activities/index.ts';
import type { Source } from './migration-input.ts';

const { extractSource } = proxyActivities<MigrationActivities>({
  startToCloseTimeout: '10m',
  // The activity beats every few seconds whatever the vendor does: a killed worker's extraction moves on quickly.
  heartbeatTimeout: '15s',
  // Every attempt resumes from the last committed page, so a failure costs one page: retry soon, not ever later.
  retry: { initialInterval: '1s', backoffCoefficient: 1.5, maximumInterval: '15s' },
});
const { archiveSource } = proxyActivities<MigrationActivities>({
  startToCloseTimeout: '1h',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

export interface ExtractSourceInput {
  migrationId: string;
  source: Source;
  /** The migration run's first run id: a resumed run continues its pass, a new incremental run starts the next. */
  passId: string;
  incremental: boolean;
  backupDir?: string;
}

export interface SourceExtracted {
  source: string;
  kind: Source['kind'];
  pass: number;
  rows: number;
  quarantined: number;
}

/**
 * Extracts one source into staging, however long the vendor makes it take: the activity reads until the source
 * asks to wait, and this workflow sleeps on a durable timer, so a history of hours (Plivo's 20 requests a minute)
 * survives worker restarts. Then the raw extract is archived, before anything is cleaned.
 */
export async function extractSourceWorkflow(input: ExtractSourceInput): Promise<SourceExtracted> {
  for (;;) {
    const progress = await extractSource({ migrationId: input.migrationId, source: input.source, passId: input.passId, incremental: input.incremental });
    if (progress.done) {
      if (input.backupDir) await archiveSource(input.migrationId, input.source.name, input.backupDir);
      return { source: input.source.name, kind: input.source.kind, pass: progress.pass, rows: progress.rows, quarantined: progress.quarantined };
    }
    if (progress.waitMs > 0) await sleep(progress.waitMs);
    if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof extractSourceWorkflow>(input);
  }
}
