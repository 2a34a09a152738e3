import {
  ApplicationFailure,
  continueAsNew,
  executeChild,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { MigrationActivities } from '../activities/index.ts';
import { extractSourceWorkflow } from './extract-source.ts';
import { migrationDefaults, migrationInputProblems, migrationWorkflowId, type MigrationInput } from './migration-input.ts';
import { emptyProgress, progressQuery, type MigrationProgress, type MigrationStage, type MigrationSummary } from './migration-progress.ts';
import { migrationStageKey } from './search-attributes.ts';

const retry = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' } as const;

const { normalizeStagedRows } = proxyActivities<MigrationActivities>({
  startToCloseTimeout: '2h',
  heartbeatTimeout: '1m',
  retry,
});
// Single set-based statements: they cannot heartbeat, and take longer the bigger the customer base.
const { mergeContacts, planBatches } = proxyActivities<MigrationActivities>({ startToCloseTimeout: '2h', retry });
// Short heartbeats: when a worker dies mid-batch, another one takes the batch over within seconds.
const { verifyBatch, syncBatch } = proxyActivities<MigrationActivities>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '10s',
  retry,
});

/**
 * extract → clean → verify → sync for one migration. Contacts stay in the database; this history holds
 * only counts and batch numbers. Verification and sync run a bounded window of batches and continue as
 * new when the history grows long, carrying the progress along.
 */
export async function migrationWorkflow(input: MigrationInput, carried?: MigrationProgress): Promise<MigrationSummary> {
  const problems = migrationInputProblems(input);
  if (problems.length > 0) throw ApplicationFailure.nonRetryable(`invalid migration input: ${problems.join('; ')}`, 'InvalidInput');

  const progress = carried ?? emptyProgress(input.migrationId);
  setHandler(progressQuery, () => progress);
  const batchSize = input.batchSize ?? migrationDefaults.batchSize;
  const window = input.concurrency ?? migrationDefaults.concurrency;

  if (progress.stage === 'extract') {
    await timed(progress, 'extract', async () => {
      // Sources are read side by side, each in a child workflow of its own: a slow vendor does not hold up the others.
      const extracted = await Promise.all(
        input.sources.map((source) =>
          executeChild(extractSourceWorkflow, {
            workflowId: `${migrationWorkflowId(input.migrationId)}-source-${source.name}`,
            args: [{ migrationId: input.migrationId, source, passId: workflowInfo().firstExecutionRunId, incremental: input.incremental ?? false, backupDir: input.backupDir }],
          }).catch((failure: unknown) => {
            // The reason is at the end of the chain (child → activity → cause): say it on the migration's own failure.
            throw ApplicationFailure.nonRetryable(`source "${source.name}" could not be extracted: ${rootCause(failure)}`, 'SourceFailed');
          }),
        ),
      );
      for (const { source, ...counts } of extracted) progress.sources[source] = counts;
      progress.extracted = extracted.reduce((sum, source) => sum + source.rows, 0);
      progress.quarantined = extracted.reduce((sum, source) => sum + source.quarantined, 0);
    });
    enter(progress, 'clean');
  }
  if (progress.stage === 'clean') {
    await timed(progress, 'clean', async () => {
      const defaultCountries = Object.fromEntries(input.sources.flatMap((s) => (s.defaultCountry ? [[s.name, s.defaultCountry]] : [])));
      Object.assign(progress, await normalizeStagedRows(input.migrationId, defaultCountries));
      const { contacts, ...quality } = await mergeContacts(input.migrationId);
      Object.assign(progress, { contacts, quality });
      progress.batches = (await planBatches(input.migrationId, batchSize)).batches;
    });
    enter(progress, 'verify');
  }
  if (progress.stage === 'verify') {
    await timed(progress, 'verify', () =>
      inWindows(progress, input, progress.batches, 'verifiedBatches', window, async (batchNo) => {
        const result = await verifyBatch(input.migrationId, batchNo);
        progress.verified += result.verified;
        progress.onWhatsApp += result.onWhatsApp;
        progress.notOnWhatsApp += result.notOnWhatsApp;
      }),
    );
    enter(progress, 'sync');
  }
  if (progress.stage === 'sync') {
    await timed(progress, 'sync', () =>
      inWindows(progress, input, progress.batches, 'syncedBatches', window, async (batchNo) => {
        const result = await syncBatch(input.migrationId, batchNo);
        progress.synced += result.synced;
        progress.syncFailed += result.failed;
      }),
    );
    enter(progress, 'done');
  }
  return progress;
}

function enter(progress: MigrationProgress, stage: MigrationStage): void {
  progress.stage = stage;
  upsertSearchAttributes([{ key: migrationStageKey, value: stage }]);
  showDetails(progress);
}

/** Runs a stage and adds its duration to the stage's total, which survives continue-as-new. */
async function timed(progress: MigrationProgress, stage: Exclude<MigrationStage, 'done'>, run: () => Promise<void>): Promise<void> {
  const started = Date.now();
  await run();
  progress.stageMillis[stage] = (progress.stageMillis[stage] ?? 0) + (Date.now() - started);
}

/**
 * Works through batches `progress[cursor]` … `total - 1` with at most `window` in flight. Batches start in
 * order and the cursor moves only over finished ones, so it is always a safe place to resume from.
 */
async function inWindows(
  progress: MigrationProgress,
  input: MigrationInput,
  total: number,
  cursor: 'verifiedBatches' | 'syncedBatches',
  window: number,
  work: (batchNo: number) => Promise<void>,
): Promise<void> {
  let next = progress[cursor];
  const finished = new Set<number>();
  const inFlight = new Map<number, Promise<void>>();
  while (next < total || inFlight.size > 0) {
    while (inFlight.size < window && next < total && !workflowInfo().continueAsNewSuggested) {
      const batchNo = next++;
      inFlight.set(
        batchNo,
        work(batchNo).then(() => {
          inFlight.delete(batchNo);
          finished.add(batchNo);
          while (finished.delete(progress[cursor])) progress[cursor]++;
          showDetails(progress);
        }),
      );
    }
    if (inFlight.size === 0) break;
    await Promise.race(inFlight.values());
  }
  if (progress[cursor] < total) {
    // Every started batch has finished (the window drained), so the cursor covers all work done so far.
    await continueAsNew<typeof migrationWorkflow>(input, progress);
  }
}

function rootCause(failure: unknown): string {
  let error = failure as Error | undefined;
  while (error?.cause instanceof Error) error = error.cause;
  return error?.message ?? String(failure);
}

function showDetails(p: MigrationProgress): void {
  setCurrentDetails(
    [
      `**Stage**: ${p.stage}`,
      `Extracted ${p.extracted} rows from ${Object.keys(p.sources).length} sources (${p.quarantined} unreadable, in quarantine): ${p.valid} valid, ${p.rejected} rejected, ${p.quality.duplicatesMerged} duplicates merged into ${p.contacts} contacts.`,
      `Verified ${p.verifiedBatches}/${p.batches} batches (${p.onWhatsApp} on WhatsApp, ${p.notOnWhatsApp} not).`,
      `Synced ${p.syncedBatches}/${p.batches} batches (${p.synced} contacts, ${p.syncFailed} refused).`,
    ].join('\n\n'),
  );
}
