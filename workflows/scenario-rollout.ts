import { ApplicationFailure, condition, continueAsNew, defineQuery, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { MigrationActivities } from '../activities/index.ts';
import type { RolloutReport } from '../activities/rollout/rollout-report.ts';
import { inWindows } from './batch-windows.ts';
import { rolloutInputProblems, rolloutPlan, scenariosByStage, type RolloutPlan, type ScenarioRolloutInput } from './scenario-rollout-input.ts';

/** Where one scenario stands: its first messages, then the fallbacks of the WhatsApp ones, then done. */
export interface ScenarioProgress {
  phase: 'send' | 'fallback' | 'done';
  /** Batches of the current pass finished. */
  cursor: number;
  /** The earliest time a batch of the current pass asked to be looked at again (messaging limit, a delivery timeout). */
  retryAt: number | null;
  /** The durable timer the scenario waits on before its next pass. */
  wakeAt: number | null;
  sent: number;
  fallbacks: number;
}

/** Counts and timestamps only: carried across continue-as-new and shown to whoever asks. */
export interface RolloutProgress {
  rolloutId: string;
  phase: 'plan' | 'sending' | 'done';
  batches: number;
  audience: number;
  /** The stage running now, by its place among the stages that have scenarios. */
  stage: number;
  scenarios: Record<string, ScenarioProgress>;
  /** The metrics as they stood when the last stage finished; `channelshift rollout report` shows them later. */
  report: RolloutReport | null;
}

export const rolloutProgressQuery = defineQuery<RolloutProgress>('rolloutProgress');

const retry = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' } as const;
const { planRollout, rolloutReport } = proxyActivities<MigrationActivities>({ startToCloseTimeout: '1h', retry });
// Short heartbeats: a batch whose worker died is taken over within seconds.
const { sendRolloutBatch, sendRolloutFallbacks } = proxyActivities<MigrationActivities>({ startToCloseTimeout: '30m', heartbeatTimeout: '15s', retry });

/**
 * Rolls a migration's scenarios out to WhatsApp stage by stage (non-critical, then standard, then critical), each
 * scenario to every contact of the rollout's audience in the cohort the contact's hash puts it in, on the channel the
 * sending policy allows. WhatsApp messages that fail (131026, 131047) or are not delivered in time go once more on
 * the old channel, after a durable timer. Contacts and texts stay in the database; this history holds counts.
 */
export async function scenarioRolloutWorkflow(input: ScenarioRolloutInput, carried?: RolloutProgress): Promise<RolloutProgress> {
  const problems = rolloutInputProblems(input);
  if (problems.length > 0) throw ApplicationFailure.nonRetryable(`invalid rollout input: ${problems.join('; ')}`, 'InvalidInput');
  const plan = rolloutPlan(input);
  const progress: RolloutProgress = carried ?? {
    rolloutId: plan.rolloutId,
    phase: 'plan',
    batches: 0,
    audience: 0,
    stage: 0,
    scenarios: Object.fromEntries(plan.scenarios.map((s) => [s.id, { phase: 'send', cursor: 0, retryAt: null, wakeAt: null, sent: 0, fallbacks: 0 }])),
    report: null,
  };
  setHandler(rolloutProgressQuery, () => progress);

  if (progress.phase === 'plan') {
    Object.assign(progress, await planRollout(input), { phase: 'sending' });
  }
  const stages = scenariosByStage(plan.scenarios);
  while (progress.stage < stages.length) {
    const finished = await Promise.all(stages[progress.stage]!.map((scenario) => runScenario(plan, scenario, progress.scenarios[scenario.id]!, progress.batches)));
    if (!finished.every(Boolean)) return continueAsNew<typeof scenarioRolloutWorkflow>(input, progress);
    progress.stage++;
  }
  progress.report = await rolloutReport(plan.rolloutId);
  progress.phase = 'done';
  return progress;
}

/** Runs one scenario as far as it gets; false when it stopped so the workflow can continue as new. */
async function runScenario(plan: RolloutPlan, scenario: RolloutPlan['scenarios'][number], p: ScenarioProgress, batches: number): Promise<boolean> {
  while (p.phase !== 'done') {
    if (p.wakeAt !== null) {
      if (!(await sleepUntil(p.wakeAt))) return false;
      p.wakeAt = null;
    }
    p.cursor = await inWindows(
      p.cursor,
      batches,
      plan.concurrency,
      async (batchNo) => {
        const result =
          p.phase === 'send' ? await sendRolloutBatch(plan.rolloutId, scenario.id, batchNo) : await sendRolloutFallbacks(plan.rolloutId, scenario.id, batchNo);
        const again = 'retryAt' in result ? result.retryAt : result.recheckAt;
        if (p.phase === 'send') p.sent += result.sent;
        else p.fallbacks += result.sent;
        if (again !== null) p.retryAt = Math.min(p.retryAt ?? again, again);
      },
      (cursor) => (p.cursor = cursor),
    );
    if (p.cursor < batches) return false;
    const again = p.retryAt;
    Object.assign(p, { cursor: 0, retryAt: null });
    if (again !== null) {
      // Someone was kept back: the whole pass runs again then, and skips everyone it already reached.
      p.wakeAt = again;
    } else if (p.phase === 'send' && scenario.fallbackTimeoutMs !== null) {
      // Statuses take time: the fallback pass looks once the last message had its full delivery timeout.
      Object.assign(p, { phase: 'fallback', wakeAt: Date.now() + scenario.fallbackTimeoutMs });
    } else {
      p.phase = 'done';
    }
  }
  return true;
}

/** A durable timer; false when the server suggests continuing as new before it fires. */
async function sleepUntil(at: number): Promise<boolean> {
  for (;;) {
    const ms = at - Date.now();
    if (ms <= 0) return true;
    if (await condition(() => workflowInfo().continueAsNewSuggested, ms)) return false;
  }
}
