import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { sql } from 'kysely';
import type { ActivityDependencies } from '../dependencies.ts';
import { loadCampaignPlan } from './campaign-plans.ts';
import { requireMessaging } from './messaging-connectors.ts';
import { isUnansweredSend } from '../../connectors/vendor-failure.ts';

export interface ActivationResult {
  sent: number;
  /** More consenting contacts wait for their welcome. */
  more: boolean;
  /** The messaging limit is spent: the next welcome may go after this many milliseconds. */
  waitMs: number | null;
}

/** Welcomes per activity call: a bounded piece of work that heartbeats and reports. */
const WELCOMES_PER_CALL = 500;
const MESSAGING_WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * Sends the approved welcome template to the campaign's contacts whose latest decision is yes and who have not had
 * it, within the business's messaging limit (unique users per moving 24 h; the client keeps to the throughput).
 * Whether a contact has WhatsApp is settled later, by the status webhooks of these messages.
 */
export function activateConsentingActivity({ db, messaging, clock }: Pick<ActivityDependencies, 'db' | 'messaging' | 'clock'>) {
  return async function activateConsenting(campaignId: string): Promise<ActivationResult> {
    const plan = await loadCampaignPlan(db, campaignId);
    const whatsApp = requireMessaging(messaging, 'whatsApp');
    const now = clock();
    await db
      .deleteFrom('outbound_messages')
      .where('campaign_id', '=', campaignId)
      .where('step', '=', 'welcome')
      .where('state', '=', 'sending')
      .where('intent_at', '<', new Date(now.getTime() - plan.unconfirmedResendAfterMs))
      .execute();

    const windowStart = new Date(now.getTime() - MESSAGING_WINDOW_MS);
    const reached = await db
      .selectFrom('outbound_messages')
      .select([(e) => e.fn.count<number>('address').distinct().as('users'), (e) => e.fn.min('intent_at').as('oldest')])
      .where('step', '=', 'welcome')
      .where('state', '!=', 'failed')
      .where('intent_at', '>', windowStart)
      .executeTakeFirstOrThrow();
    const room = messaging.whatsAppMessagingLimit - Number(reached.users);
    if (room <= 0) {
      return { sent: 0, more: true, waitMs: Math.max(1000, new Date(reached.oldest!).getTime() + MESSAGING_WINDOW_MS - now.getTime()) };
    }

    const limit = Math.min(room, WELCOMES_PER_CALL);
    const consenting = await db
      .selectFrom('campaign_recipients as r')
      .innerJoin('consent_states as s', 's.e164', 'r.e164')
      .select(['r.contact_id', 'r.e164', 'r.language'])
      .where('r.campaign_id', '=', campaignId)
      .where('s.decision', '=', 'granted')
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('outbound_messages as o').select('o.id').whereRef('o.campaign_id', '=', 'r.campaign_id').whereRef('o.contact_id', '=', 'r.contact_id').where('o.step', '=', 'welcome'))),
      )
      .orderBy('r.contact_id')
      .limit(limit)
      .execute();
    if (consenting.length === 0) return { sent: 0, more: false, waitMs: null };

    const rows = await db
      .insertInto('outbound_messages')
      .values(consenting.map((c) => ({ campaign_id: campaignId, contact_id: c.contact_id, step: 'welcome' as const, vendor: 'whatsapp', address: c.e164, state: 'sending' as const, intent_at: clock() })))
      .onConflict((oc) => oc.columns(['campaign_id', 'contact_id', 'step']).doNothing())
      .returning(['id', 'contact_id'])
      .execute();
    const idOf = new Map(rows.map((row) => [row.contact_id, row.id]));
    const { languages, name } = plan.welcomeTemplate;

    let retry: unknown;
    const accepted: { outboundId: string; contactId: string; wamid: string }[] = [];
    await Promise.all(
      consenting
        .filter((c) => idOf.has(c.contact_id))
        .map(async (c) => {
          const outboundId = idOf.get(c.contact_id)!;
          try {
            const { wamid } = await whatsApp.sendTemplate({
              to: c.e164,
              template: { name, languageCode: languages[c.language] ?? languages[plan.defaultLanguage] ?? c.language },
              // PGlite hands bigint ids over as numbers; Meta takes only a string.
              callbackData: String(outboundId),
            });
            accepted.push({ outboundId, contactId: c.contact_id, wamid });
          } catch (failure) {
            if (failure instanceof ApplicationFailure && failure.nonRetryable) {
              await db.transaction().execute(async (trx) => {
                await trx.updateTable('outbound_messages').set({ state: 'failed', error: failure.message }).where('id', '=', outboundId).execute();
                await trx.updateTable('contacts').set({ whatsapp_state: 'failed', whatsapp_settled_at: clock() }).where('id', '=', c.contact_id).execute();
              });
            } else {
              // Turned away for now: not sent, so the row goes and the retry sends it. Unanswered: perhaps sent, so
              // the row stays until a status webhook settles it or its grace ends.
              if (!isUnansweredSend(failure)) await db.deleteFrom('outbound_messages').where('id', '=', outboundId).execute();
              retry ??= failure;
            }
          }
          Context.current().heartbeat();
        }),
    );
    // Recorded together once all have gone: a status webhook that comes first finds its row by the callback data.
    if (accepted.length > 0) {
      await db.transaction().execute(async (trx) => {
        await sql`
          UPDATE outbound_messages AS o
          SET state = CASE WHEN o.state = 'sending' THEN 'sent' ELSE o.state END, vendor_message_id = u.wamid, sent_at = ${clock()}
          FROM unnest(${accepted.map((a) => String(a.outboundId))}::bigint[], ${accepted.map((a) => a.wamid)}::text[]) AS u(id, wamid)
          WHERE o.id = u.id`.execute(trx);
        await sql`
          UPDATE contacts SET whatsapp_state = 'sent'
          WHERE id = any(${accepted.map((a) => String(a.contactId))}::bigint[]) AND whatsapp_state IS NULL`.execute(trx);
      });
    }
    if (retry !== undefined) throw retry;
    return { sent: accepted.length, more: consenting.length === limit, waitMs: null };
  };
}
