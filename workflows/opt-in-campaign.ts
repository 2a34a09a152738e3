import {
  ApplicationFailure,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { MigrationActivities } from '../activities/index.ts';
import type { CampaignCounts } from '../activities/opt-in/campaign-counts.ts';
import type { OldChannelStep } from '../activities/opt-in/send-campaign-step.ts';
import { inWindows } from './batch-windows.ts';
import { campaignConfigProblems, campaignPlan, type OptInCampaignInput } from './opt-in-campaign-input.ts';

export type CampaignPhase = 'plan' | 'notice' | 'waiting' | 'reminder' | 'closing' | 'settling' | 'done';

/** Counts and timestamps only: carried across continue-as-new and shown to whoever asks. */
export interface CampaignProgress {
  campaignId: string;
  phase: CampaignPhase;
  batches: number;
  recipients: number;
  /** Batches of the current step finished in this pass. */
  cursor: number;
  /** The earliest time a batch of the current pass kept someone back (quiet hours, an unconfirmed send). */
  retryAt: number | null;
  noticeDoneAt: number | null;
  sent: Record<OldChannelStep, number>;
  welcomes: number;
  counts: CampaignCounts | null;
  /** What an operator moved on ahead of its time (absent in progress carried from before the signal existed). */
  movedOn?: CampaignMove[];
}

export type CampaignResult = CampaignProgress;

/** A decided reply arrived for this campaign: its workflow wakes to welcome the contact on WhatsApp. */
export const consentReceivedSignal = defineSignal('consentReceived');
export const campaignProgressQuery = defineQuery<CampaignProgress>('campaignProgress');

/** `remind`: the reminder goes now, not `reminderAfter` the notice; `close`: the campaign closes now, and no reminder goes after that. */
export type CampaignMove = 'remind' | 'close';
/**
 * An operator moves the campaign on before its timers would (from the Temporal UI or a client): the replies to the
 * notice are in and the reminder can go, or the campaign is to close now. Sent early, it waits for its phase.
 */
export const moveOnSignal = defineSignal<[CampaignMove]>('moveOn');

const retry = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' } as const;
const { planCampaign } = proxyActivities<MigrationActivities>({ startToCloseTimeout: '1h', retry });
// Short heartbeats: a batch whose worker died is taken over within seconds.
const { sendCampaignStep, activateConsenting } = proxyActivities<MigrationActivities>({ startToCloseTimeout: '30m', heartbeatTimeout: '15s', retry });
const { settleActivations, closeCampaign, campaignCounts } = proxyActivities<MigrationActivities>({ startToCloseTimeout: '10m', retry });

/**
 * The opt-in campaign of one migration: the move notice on each contact's current channel, one reminder to those
 * who have not decided, replies awaited until the window closes (durable timers, so days pass with no process up),
 * and a WhatsApp welcome for every yes, whose delivery settles whether the contact is on WhatsApp. Replies reach it
 * as signals (signal-with-start: a late yes starts it again just to welcome that contact). Everything about contacts
 * stays in the database; this history holds counts.
 */
export async function optInCampaignWorkflow(input: OptInCampaignInput, carried?: CampaignProgress): Promise<CampaignResult> {
  const problems = campaignConfigProblems(input?.campaign, 'campaign');
  if (typeof input?.migrationId !== 'string' || input.migrationId === '') problems.unshift('migrationId: the migration whose contacts are asked');
  if (problems.length > 0) throw ApplicationFailure.nonRetryable(`invalid campaign input: ${problems.join('; ')}`, 'InvalidInput');
  const plan = campaignPlan(input);
  const progress: CampaignProgress = carried ?? {
    campaignId: plan.campaignId,
    phase: 'plan',
    batches: 0,
    recipients: 0,
    cursor: 0,
    retryAt: null,
    noticeDoneAt: null,
    sent: { notice: 0, reminder: 0 },
    welcomes: 0,
    counts: null,
  };
  setHandler(campaignProgressQuery, () => progress);

  // Every run starts by looking for consents no welcome has answered: signals sent to an earlier run are not lost.
  let activationDue = true;
  // Nothing to welcome before the campaign's plan exists.
  let planned = progress.phase !== 'plan';
  let activating = false;
  // The messaging limit is spent and consents wait for room: the campaign is not done while they do.
  let waitingForRoom = false;
  let stopping = false;
  setHandler(consentReceivedSignal, () => {
    activationDue = true;
  });
  const movedOn = (move: CampaignMove) => progress.movedOn?.includes(move) ?? false;
  setHandler(moveOnSignal, (move) => {
    if (move === 'remind' || move === 'close') progress.movedOn = [...new Set([...(progress.movedOn ?? []), move])];
  });

  const activator = async (): Promise<void> => {
    for (;;) {
      await condition(() => stopping || (planned && activationDue));
      if (stopping) return;
      activationDue = false;
      activating = true;
      const result = await activateConsenting(plan.campaignId);
      activating = false;
      progress.welcomes += result.sent;
      if (result.waitMs !== null) {
        // The messaging limit is spent: wait for the moving day to free room.
        waitingForRoom = true;
        await condition(() => stopping, result.waitMs);
        waitingForRoom = false;
        activationDue = true;
      } else if (result.more) {
        activationDue = true;
      }
    }
  };

  /** Continues as new once the activator has put its work down; signals after this reach the next run. */
  const restart = async (): Promise<never> => {
    stopping = true;
    await activatorDone;
    return continueAsNew<typeof optInCampaignWorkflow>(input, progress);
  };

  /** Sleeps until `at`, or until `early` holds. */
  const sleepUntil = async (at: number, early: () => boolean = () => false): Promise<void> => {
    for (;;) {
      const ms = at - Date.now();
      if (ms <= 0 || early()) return;
      if (await condition(() => workflowInfo().continueAsNewSuggested || early(), ms)) {
        if (early()) return;
        await restart();
      }
    }
  };

  const sendStep = async (step: OldChannelStep): Promise<void> => {
    for (;;) {
      progress.cursor = await inWindows(progress.cursor, progress.batches, plan.concurrency, async (batchNo) => {
        const result = await sendCampaignStep(plan.campaignId, step, batchNo);
        progress.sent[step] += result.sent;
        if (result.retryAt !== null) progress.retryAt = Math.min(progress.retryAt ?? result.retryAt, result.retryAt);
      }, (cursor) => (progress.cursor = cursor));
      if (progress.cursor < progress.batches) await restart();
      const retryAt = progress.retryAt;
      progress.cursor = 0;
      progress.retryAt = null;
      if (retryAt === null) return;
      // Someone was kept back: the whole step runs again then, and skips everyone it already reached.
      await sleepUntil(retryAt);
    }
  };

  const campaign = async (): Promise<void> => {
    if (progress.phase === 'plan') {
      const stored = await planCampaign(input);
      Object.assign(progress, { batches: stored.batches, recipients: stored.recipients, phase: stored.closed ? 'settling' : 'notice' });
      planned = true;
    }
    if (progress.phase === 'notice') {
      await sendStep('notice');
      Object.assign(progress, { noticeDoneAt: Date.now(), phase: 'waiting' });
    }
    if (progress.phase === 'waiting') {
      await sleepUntil(progress.noticeDoneAt! + plan.reminderAfterMs, () => movedOn('remind') || movedOn('close'));
      progress.phase = movedOn('close') ? 'closing' : 'reminder';
    }
    if (progress.phase === 'reminder') {
      await sendStep('reminder');
      progress.phase = 'closing';
    }
    if (progress.phase === 'closing') {
      await sleepUntil(progress.noticeDoneAt! + plan.windowMs, () => movedOn('close'));
      progress.counts = await closeCampaign(plan.campaignId);
      progress.phase = 'settling';
    }
    for (;;) {
      await condition(() => (!activationDue && !activating && !waitingForRoom) || workflowInfo().continueAsNewSuggested);
      if (workflowInfo().continueAsNewSuggested) await restart();
      const { pending, nextTimeoutInMs } = await settleActivations(plan.campaignId);
      if (pending === 0 && !activationDue) break;
      if (nextTimeoutInMs === null) continue;
      if (await condition(() => activationDue || workflowInfo().continueAsNewSuggested, nextTimeoutInMs)) {
        if (workflowInfo().continueAsNewSuggested) await restart();
      } else {
        // A welcome whose answer was lost with its worker is sent again once its grace is over.
        activationDue = true;
      }
    }
    progress.counts = await campaignCounts(plan.campaignId);
    progress.phase = 'done';
    stopping = true;
  };

  const activatorDone = activator();
  await Promise.all([campaign(), activatorDone]);
  return progress;
}
