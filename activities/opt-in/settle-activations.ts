import { sql } from 'kysely';
import type { ActivityDependencies } from '../dependencies.ts';
import { loadCampaignPlan } from './campaign-plans.ts';

export interface ActivationsPending {
  /** Welcomes sent (or being sent) with no status yet. */
  pending: number;
  /** When the oldest of them times out; null when none is pending. */
  nextTimeoutInMs: number | null;
}

/** Contacts whose welcome got no status within the activation timeout become `unknown`; reports what still waits. */
export function settleActivationsActivity({ db, clock }: Pick<ActivityDependencies, 'db' | 'clock'>) {
  return async function settleActivations(campaignId: string): Promise<ActivationsPending> {
    const plan = await loadCampaignPlan(db, campaignId);
    const now = clock();
    const timedOutBefore = new Date(now.getTime() - plan.activationTimeoutMs);
    await sql`
      UPDATE contacts AS c SET whatsapp_state = 'unknown', whatsapp_settled_at = ${now}
      FROM outbound_messages AS o
      WHERE o.campaign_id = ${campaignId} AND o.step = 'welcome' AND o.contact_id = c.id
        AND c.whatsapp_state = 'sent' AND o.sent_at < ${timedOutBefore}`.execute(db);
    const waiting = await db
      .selectFrom('outbound_messages as o')
      .innerJoin('contacts as c', 'c.id', 'o.contact_id')
      .select([(e) => e.fn.countAll<number>().as('pending'), (e) => e.fn.min(sql<Date>`coalesce(o.sent_at, o.intent_at)`).as('oldest')])
      .where('o.campaign_id', '=', campaignId)
      .where('o.step', '=', 'welcome')
      .where((w) => w.or([w('o.state', '=', 'sending'), w('c.whatsapp_state', '=', 'sent')]))
      .executeTakeFirstOrThrow();
    const pending = Number(waiting.pending);
    if (pending === 0) return { pending, nextTimeoutInMs: null };
    const oldest = new Date(waiting.oldest!).getTime();
    return { pending, nextTimeoutInMs: Math.max(1000, oldest + Math.min(plan.activationTimeoutMs, plan.unconfirmedResendAfterMs) - now.getTime()) };
  };
}
