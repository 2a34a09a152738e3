import type { ActivityDependencies } from '../dependencies.ts';
import { rolloutSender, type RolloutMessage } from './rollout-sender.ts';
import { loadRolloutPlan, scenarioOf } from './rollout-plans.ts';
import { fallbackDue } from './sending-policy.ts';
import { oldChannelMessage } from './send-rollout-batch.ts';
import { releaseUnconfirmed } from './unconfirmed-sends.ts';

export interface FallbackResult {
  sent: number;
  /** The earliest time a WhatsApp send of the batch, still without a delivery, times out; null when none waits. */
  recheckAt: number | null;
}

/**
 * Sends the scenario once more, on the old channel, to the batch's contacts whose WhatsApp message failed with
 * 131026 or 131047 or was not delivered within the scenario's delivery timeout; the fallback row names the send it
 * makes up for. Whatever the status webhooks have not decided yet is left for the next call, at `recheckAt`.
 */
export function sendRolloutFallbacksActivity(dependencies: Pick<ActivityDependencies, 'db' | 'messaging' | 'clock'>) {
  const { db, clock } = dependencies;
  const send = rolloutSender(dependencies);
  return async function sendRolloutFallbacks(rolloutId: string, scenarioId: string, batchNo: number): Promise<FallbackResult> {
    const plan = await loadRolloutPlan(db, rolloutId);
    const scenario = scenarioOf(plan, scenarioId);
    if (scenario.fallbackTimeoutMs === null) return { sent: 0, recheckAt: null };
    const now = clock();
    let recheckAt = await releaseUnconfirmed(db, { rolloutId, scenarioId, attempt: 'fallback', batchNo }, plan.unconfirmedResendAfterMs, now);
    const firsts = await db
      .selectFrom('rollout_sends as r')
      .innerJoin('rollout_audience as a', (j) => j.onRef('a.rollout_id', '=', 'r.rollout_id').onRef('a.contact_id', '=', 'r.contact_id'))
      .innerJoin('contacts as c', 'c.id', 'r.contact_id')
      .select(['r.id', 'r.contact_id', 'r.cohort', 'r.sent_at', 'r.delivered_at', 'r.failed_at', 'r.error_code', 'a.old_channel', 'a.old_vendor', 'a.old_address', 'c.name', 'c.country'])
      .where('r.rollout_id', '=', rolloutId)
      .where('r.scenario_id', '=', scenarioId)
      .where('r.attempt', '=', 'first')
      .where('r.channel', '=', 'whatsapp')
      .where('a.batch_no', '=', batchNo)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('rollout_sends as f')
              .select('f.id')
              .whereRef('f.rollout_id', '=', 'r.rollout_id')
              .whereRef('f.scenario_id', '=', 'r.scenario_id')
              .whereRef('f.contact_id', '=', 'r.contact_id')
              .where('f.attempt', '=', 'fallback'),
          ),
        ),
      )
      .orderBy('r.contact_id')
      .execute();

    const messages: RolloutMessage[] = [];
    for (const first of firsts) {
      const verdict = fallbackDue(
        { sentAt: dateOrNull(first.sent_at), deliveredAt: dateOrNull(first.delivered_at), failedAt: dateOrNull(first.failed_at), errorCode: first.error_code },
        scenario.fallbackTimeoutMs,
        now,
      );
      if (!verdict.due) {
        if (verdict.recheckAt !== null) recheckAt = Math.min(recheckAt ?? verdict.recheckAt, verdict.recheckAt);
        continue;
      }
      messages.push({
        rolloutId,
        scenarioId,
        contactId: String(first.contact_id),
        cohort: first.cohort,
        attempt: 'fallback',
        reason: first.failed_at === null ? 'not-delivered-in-time' : `whatsapp-${first.error_code}`,
        fallbackOf: String(first.id),
        ...oldChannelMessage(first, scenario.oldChannel.text),
      });
    }
    return { sent: await send(messages, plan.viberSender), recheckAt };
  };
}

function dateOrNull(value: Date | null): Date | null {
  return value === null ? null : new Date(value);
}
