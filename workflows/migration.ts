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
import { optInCampaignWorkflow } from './opt-in-campaign.ts';
import { campaignPlan, campaignWorkflowId } from './opt-in-campaign-input.ts';
import { inWindows } from './batch-windows.ts';
import { migrationDefaults, migrationInputProblems, migrationWorkflowId, type MigrationInput } from './migration-input.ts';
import { emptyProgress, progressQuery, type MigrationProgress, type MigrationStage, type MigrationSummary } from './migration-progress.ts';
import { migrationStageKey } from './search-attributes.ts';
import { syncUntilCurrent, type SyncEnd } from './crm-sync.ts';

const retry = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' } as const;

const { normalizeStagedRows } = proxyActivities<MigrationActivities>({
  startToCloseTimeout: '2h',
  heartbeatTimeout: '1m',
  retry,
});
// Single set-based statements: they cannot heartbeat, and take longer the bigger the customer base.
const { mergeContacts, planBatches } = proxyActivities<MigrationActivities>({ startToCloseTimeout: '2h', retry });
// Short heartbeats: when a worker dies mid-batch, another one takes the batch over within seconds.
const { verifyBatch } = proxyActivities<MigrationActivities>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '10s',
  retry,
});

/**
 * extract → clean → verify → opt-in → sync for one migration. Contacts stay in the database; this history holds
 * only counts and batch numbers. Verification runs a bounded window of batches, the sync sends what each CRM has
 * not received, and both continue as new when the history grows long, carrying the progress along. An incremental
 * run (a scheduled one) extracts from each source's watermark, verifies only the contacts it found new, and sends
 * the CRMs only what changed.
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
      const plan = await planBatches(input.migrationId, batchSize, workflowInfo().firstExecutionRunId);
      progress.batches = plan.batches;
      progress.verifiedBatches = plan.firstBatch;
    });
    enter(progress, 'verify');
  }
  if (progress.stage === 'verify') {
    await timed(progress, 'verify', () =>
      verifyInWindows(progress, input, window, async (batchNo) => {
        const result = await verifyBatch(input.migrationId, batchNo, input.verify ?? {});
        progress.verified += result.verified;
        progress.likely += result.likely;
        progress.unlikely += result.unlikely;
        progress.reachUnknown += result.unknown;
        progress.reengage += result.reengage;
      }),
    );
    enter(progress, 'opt-in');
  }
  if (progress.stage === 'opt-in') {
    if (input.optIn) {
      const campaign = { migrationId: input.migrationId, campaign: input.optIn };
      await timed(progress, 'opt-in', async () => {
        progress.optIn = (
          await executeChild(optInCampaignWorkflow, { workflowId: campaignWorkflowId(campaignPlan(campaign).campaignId), args: [campaign] })
        ).counts;
      });
    }
    enter(progress, 'sync');
  }
  if (progress.stage === 'sync') {
    const crms = input.crms ?? migrationDefaults.crms;
    let ends: SyncEnd[] = [];
    await timed(progress, 'sync', async () => {
      ends = await Promise.all(
        crms.map((crm) =>
          syncUntilCurrent({ crm, migrationId: input.migrationId }, (slice) => {
            progress.synced += slice.written;
            progress.syncUnchanged += slice.unchanged;
            progress.syncFailed += slice.failed;
            progress.syncDue[crm] = slice.due;
            showDetails(progress);
          }),
        ),
      );
    });
    if (ends.includes('continue-as-new')) await continueAsNew<typeof migrationWorkflow>(input, progress);
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

/** The batches to verify in windows; continues as new (carrying the cursor) when the history grows long. */
async function verifyInWindows(
  progress: MigrationProgress,
  input: MigrationInput,
  window: number,
  work: (batchNo: number) => Promise<void>,
): Promise<void> {
  progress.verifiedBatches = await inWindows(progress.verifiedBatches, progress.batches, window, work, (at) => {
    progress.verifiedBatches = at;
    showDetails(progress);
  });
  if (progress.verifiedBatches < progress.batches) await continueAsNew<typeof migrationWorkflow>(input, progress);
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
      `Verified ${p.verifiedBatches}/${p.batches} batches: ${p.likely} likely on WhatsApp, ${p.unlikely} unlikely, ${p.reachUnknown} unknown; ${p.reengage} marked for re-engagement.`,
      ...(p.optIn ? [`Opt-in: ${p.optIn.granted} yes, ${p.optIn.withdrawn} STOP, ${p.optIn.undecided} undecided; ${p.optIn.active} active on WhatsApp.`] : []),
      `CRM sync: ${p.synced} written, ${p.syncUnchanged} already current, ${p.syncFailed} refused (dead letters), ${Object.values(p.syncDue).reduce((a, b) => a + b, 0)} still due.`,
    ].join('\n\n'),
  );
}
