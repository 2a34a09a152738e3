import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { sql } from 'kysely';
import type { ActivityDependencies } from '../dependencies.ts';
import type { CampaignPlan } from '../../workflows/opt-in-campaign-input.ts';
import { loadCampaignPlan } from './campaign-plans.ts';
import { ConsentLedger } from './consent-ledger.ts';
import { requireMessaging } from './messaging-connectors.ts';
import { quietUntil } from './quiet-hours.ts';
import { VIBER_BROADCAST_RECEIVERS } from '../../connectors/viber/bot-client.ts';
import { isUnansweredSend } from '../../connectors/vendor-failure.ts';

export type OldChannelStep = 'notice' | 'reminder';

export interface StepResult {
  sent: number;
  /** Recipients kept back (quiet hours, or a send not yet confirmed); null when the batch is done with this step. */
  retryAt: number | null;
}

interface Recipient {
  contact_id: string;
  e164: string;
  vendor: 'vonage' | 'plivo' | 'viber';
  address: string;
  language: string;
  country: string | null;
}

/** SMS sends of one chunk run side by side; the vendor client's rate limit spaces them. */
const SMS_CHUNK = 50;

/**
 * Sends one step of the campaign (the notice, or the reminder to those who have not decided) to one batch. Each
 * message's row is written before it goes out, so a retried attempt never sends a step twice; numbers whose latest
 * decision is STOP are left out right before each chunk goes, wherever the STOP came from.
 */
export function sendCampaignStepActivity({ db, messaging, clock }: Pick<ActivityDependencies, 'db' | 'messaging' | 'clock'>) {
  return async function sendCampaignStep(campaignId: string, step: OldChannelStep, batchNo: number): Promise<StepResult> {
    const plan = await loadCampaignPlan(db, campaignId);
    const now = clock();
    let retryAt: number | null = null;
    const later = (at: number) => (retryAt = retryAt === null ? at : Math.min(retryAt, at));

    // A send whose worker died mid-request is resent only when no receipt proved it went out in time.
    await db
      .deleteFrom('outbound_messages')
      .where('campaign_id', '=', campaignId)
      .where('step', '=', step)
      .where('state', '=', 'sending')
      .where('intent_at', '<', new Date(now.getTime() - plan.unconfirmedResendAfterMs))
      .where('contact_id', 'in', (q) => q.selectFrom('campaign_recipients').select('contact_id').where('campaign_id', '=', campaignId).where('batch_no', '=', batchNo))
      .execute();
    const waiting = await db
      .selectFrom('outbound_messages as o')
      .innerJoin('campaign_recipients as r', (j) => j.onRef('r.campaign_id', '=', 'o.campaign_id').onRef('r.contact_id', '=', 'o.contact_id'))
      .select((e) => e.fn.min('o.intent_at').as('oldest'))
      .where('o.campaign_id', '=', campaignId)
      .where('o.step', '=', step)
      .where('o.state', '=', 'sending')
      .where('r.batch_no', '=', batchNo)
      .executeTakeFirst();
    if (waiting?.oldest) later(new Date(waiting.oldest).getTime() + plan.unconfirmedResendAfterMs);

    let due = await db
      .selectFrom('campaign_recipients as r')
      .select(['r.contact_id', 'r.e164', 'r.vendor', 'r.address', 'r.language', 'r.country'])
      .where('r.campaign_id', '=', campaignId)
      .where('r.batch_no', '=', batchNo)
      .where('r.decision', 'is', null)
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('outbound_messages as o').select('o.id').whereRef('o.campaign_id', '=', 'r.campaign_id').whereRef('o.contact_id', '=', 'r.contact_id').where('o.step', '=', step))),
      )
      .$if(step === 'reminder', (q) =>
        q.where(({ exists, selectFrom }) =>
          exists(selectFrom('outbound_messages as o').select('o.id').whereRef('o.campaign_id', '=', 'r.campaign_id').whereRef('o.contact_id', '=', 'r.contact_id').where('o.step', '=', 'notice').where('o.state', '!=', 'failed')),
        ),
      )
      .orderBy('r.contact_id')
      .execute();

    if (plan.quietHours) {
      const quiet = plan.quietHours;
      due = due.filter((r) => {
        const until = quietUntil(r.country, now, quiet);
        if (until) later(until.getTime());
        return until === null;
      });
    }

    let sent = 0;
    for (const vendor of ['vonage', 'plivo', 'viber'] as const) {
      const recipients = due.filter((r) => r.vendor === vendor);
      const chunkSize = vendor === 'viber' ? VIBER_BROADCAST_RECEIVERS : SMS_CHUNK;
      for (let i = 0; i < recipients.length; i += chunkSize) {
        sent += await sendChunk(plan, step, recipients.slice(i, i + chunkSize));
        Context.current().heartbeat();
      }
    }
    return { sent, retryAt };
  };

  async function sendChunk(plan: CampaignPlan, step: OldChannelStep, chunk: Recipient[]): Promise<number> {
    const withdrawn = await new ConsentLedger(db).withdrawn(chunk.map((r) => r.e164));
    const allowed = chunk.filter((r) => !withdrawn.has(r.e164));
    if (allowed.length === 0) return 0;
    const rows = await db
      .insertInto('outbound_messages')
      .values(allowed.map((r) => ({ campaign_id: plan.campaignId, contact_id: r.contact_id, step, vendor: r.vendor, address: r.address, state: 'sending' as const, intent_at: clock() })))
      .onConflict((oc) => oc.columns(['campaign_id', 'contact_id', 'step']).doNothing())
      .returning(['id', 'contact_id'])
      .execute();
    const idOf = new Map(rows.map((row) => [row.contact_id, row.id]));
    const toSend = allowed.filter((r) => idOf.has(r.contact_id)).map((r) => ({ ...r, outboundId: idOf.get(r.contact_id)! }));
    const textOf = (r: Recipient) => (plan.texts[r.language] ?? plan.texts[plan.defaultLanguage]!)[step];

    const outcomes: Outcome[] = toSend[0]?.vendor === 'viber' ? await broadcast(plan, toSend, textOf) : await Promise.all(toSend.map((r) => sendSms(r, textOf(r))));
    await settle(outcomes);
    const retryable = outcomes.find((o) => o.kind === 'retry' || o.kind === 'unconfirmed');
    if (retryable && 'failure' in retryable) throw retryable.failure;
    return outcomes.filter((o) => o.kind === 'sent').length;
  }

  type Outcome =
    | { kind: 'sent'; outboundId: string; vendorMessageId: string }
    | { kind: 'refused'; outboundId: string; reason: string }
    | { kind: 'retry' | 'unconfirmed'; outboundId: string; failure: unknown };

  async function sendSms(r: Recipient & { outboundId: string }, text: string): Promise<Outcome> {
    // A vendor the worker cannot reach fails the whole step (outside the try), not each recipient.
    const vonage = r.vendor === 'vonage' ? requireMessaging(messaging, 'vonageSms') : undefined;
    const plivo = r.vendor === 'plivo' ? requireMessaging(messaging, 'plivoSms') : undefined;
    try {
      if (vonage) {
        const { messageId } = await vonage.client.send({
          from: vonage.from,
          to: r.e164,
          text,
          clientRef: String(r.outboundId),
          callbackUrl: messaging.publicWebhookUrl && `${messaging.publicWebhookUrl}/webhooks/vonage/delivery-receipt`,
        });
        return { kind: 'sent', outboundId: r.outboundId, vendorMessageId: messageId };
      }
      const { messageUuid } = await plivo!.client.send({
        src: plivo!.from,
        dst: r.e164,
        text,
        statusUrl: messaging.publicWebhookUrl && `${messaging.publicWebhookUrl}/webhooks/plivo/status?ref=${r.outboundId}`,
      });
      return { kind: 'sent', outboundId: r.outboundId, vendorMessageId: messageUuid };
    } catch (failure) {
      return failed(r.outboundId, failure);
    }
  }

  async function broadcast(plan: CampaignPlan, recipients: (Recipient & { outboundId: string })[], textOf: (r: Recipient) => string): Promise<Outcome[]> {
    const byText = new Map<string, (Recipient & { outboundId: string })[]>();
    for (const r of recipients) {
      const text = textOf(r);
      byText.set(text, [...(byText.get(text) ?? []), r]);
    }
    const outcomes: Outcome[] = [];
    const viber = requireMessaging(messaging, 'viberBot');
    for (const [text, group] of byText) {
      try {
        const { messageToken, failed: refused } = await viber.broadcastMessage({ receivers: group.map((r) => r.address), text, senderName: plan.viberSender });
        const reasonOf = new Map(refused.map((f) => [f.receiver, `Viber status ${f.status}: ${f.statusMessage}`]));
        for (const r of group) {
          const reason = reasonOf.get(r.address);
          outcomes.push(reason ? { kind: 'refused', outboundId: r.outboundId, reason } : { kind: 'sent', outboundId: r.outboundId, vendorMessageId: messageToken });
        }
      } catch (failure) {
        outcomes.push(...group.map((r) => failed(r.outboundId, failure)));
      }
    }
    return outcomes;
  }

  async function settle(outcomes: Outcome[]): Promise<void> {
    const now = clock();
    const sent = outcomes.filter((o) => o.kind === 'sent');
    if (sent.length > 0) {
      await sql`
        UPDATE outbound_messages AS o
        SET state = CASE WHEN o.state = 'sending' THEN 'sent' ELSE o.state END, vendor_message_id = u.vendor_message_id, sent_at = ${now}
        FROM unnest(${sent.map((o) => o.outboundId)}::bigint[], ${sent.map((o) => o.vendorMessageId)}::text[]) AS u(id, vendor_message_id)
        WHERE o.id = u.id`.execute(db);
    }
    for (const o of outcomes) {
      if (o.kind === 'refused') await db.updateTable('outbound_messages').set({ state: 'failed', error: o.reason }).where('id', '=', o.outboundId).execute();
    }
    // A send the vendor turned away for now was not sent: its row goes, so the retry sends it.
    const retried = outcomes.filter((o) => o.kind === 'retry').map((o) => o.outboundId);
    if (retried.length > 0) await db.deleteFrom('outbound_messages').where('id', 'in', retried).execute();
  }
}

function failed(outboundId: string, failure: unknown): { kind: 'refused'; outboundId: string; reason: string } | { kind: 'retry' | 'unconfirmed'; outboundId: string; failure: unknown } {
  if (failure instanceof ApplicationFailure && failure.nonRetryable) return { kind: 'refused', outboundId, reason: failure.message };
  // No answer: the vendor may have sent it. The row stays `sending` until a receipt settles it or its grace ends.
  if (isUnansweredSend(failure)) return { kind: 'unconfirmed', outboundId, failure };
  return { kind: 'retry', outboundId, failure };
}
