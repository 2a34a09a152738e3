import { Context } from '@temporalio/activity';
import { sql } from 'kysely';
import type { ActivityDependencies } from '../dependencies.ts';
import type { CampaignPlan } from '../../workflows/opt-in-campaign-input.ts';
import { loadCampaignPlan } from './campaign-plans.ts';
import { ConsentLedger } from './consent-ledger.ts';
import { oldChannelSender, type SendOutcome } from './old-channel-sender.ts';
import { quietUntil } from './quiet-hours.ts';
import { VIBER_BROADCAST_RECEIVERS } from '../../connectors/viber/bot-client.ts';

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
 * decision is STOP are left out by the statement that claims each chunk's sends, wherever the STOP came from.
 */
export function sendCampaignStepActivity({ db, messaging, clock }: Pick<ActivityDependencies, 'db' | 'messaging' | 'clock'>) {
  const sender = oldChannelSender({ messaging, clock });
  return async function sendCampaignStep(campaignId: string, step: OldChannelStep, batchNo: number): Promise<StepResult> {
    const plan = await loadCampaignPlan(db, campaignId);
    const now = clock();
    let retryAt: number | null = null;
    const later = (at: number) => (retryAt = retryAt === null ? at : Math.min(retryAt, at));

    // A send whose worker died mid-request is resent only when no receipt proved it went out in time. A customer who
    // answered needs no resend, and their answer is the proof: that row stays, as the record of what they were sent.
    const undecidedOfBatch = db
      .selectFrom('campaign_recipients')
      .select('contact_id')
      .where('campaign_id', '=', campaignId)
      .where('batch_no', '=', batchNo)
      .where('decision', 'is', null);
    await db
      .deleteFrom('outbound_messages')
      .where('campaign_id', '=', campaignId)
      .where('step', '=', step)
      .where('state', '=', 'sending')
      .where('intent_at', '<', new Date(now.getTime() - plan.unconfirmedResendAfterMs))
      .where('contact_id', 'in', undecidedOfBatch)
      .execute();
    const waiting = await db
      .selectFrom('outbound_messages')
      .select((e) => e.fn.min('intent_at').as('oldest'))
      .where('campaign_id', '=', campaignId)
      .where('step', '=', step)
      .where('state', '=', 'sending')
      .where('contact_id', 'in', undecidedOfBatch)
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
    // Claimed and checked against STOP in one statement: a STOP recorded before the claim keeps the message back, however
    // long ago the batch's recipients were read; one recorded after it finds the message already on its way.
    const { rows } = await sql<{ id: string; contact_id: string }>`
      INSERT INTO outbound_messages (campaign_id, contact_id, step, vendor, address, state, intent_at)
      SELECT ${plan.campaignId}, r.contact_id, ${step}, r.vendor, r.address, 'sending', ${clock()}
      FROM unnest(${chunk.map((r) => r.contact_id)}::bigint[], ${chunk.map((r) => r.vendor)}::text[], ${chunk.map((r) => r.address)}::text[], ${chunk.map((r) => r.e164)}::text[])
        AS r(contact_id, vendor, address, e164)
      WHERE ${ConsentLedger.notWithdrawn(sql.ref('r.e164'))}
      ON CONFLICT (campaign_id, contact_id, step) DO NOTHING
      RETURNING id, contact_id`.execute(db);
    const idOf = new Map(rows.map((row) => [row.contact_id, row.id]));
    const textOf = (r: Recipient) => (plan.texts[r.language] ?? plan.texts[plan.defaultLanguage]!)[step];
    // SMS goes to the number; the row's id is the reference its receipt comes back with.
    const toSend = chunk
      .filter((r) => idOf.has(r.contact_id))
      .map((r) => ({ id: idOf.get(r.contact_id)!, vendor: r.vendor, address: r.vendor === 'viber' ? r.address : r.e164, text: textOf(r), reference: String(idOf.get(r.contact_id)!) }));

    const outcomes = toSend[0]?.vendor === 'viber' ? await sender.viber(toSend, plan.viberSender) : await Promise.all(toSend.map((m) => sender.sms(m)));
    await settle(outcomes);
    const retryable = outcomes.find((o) => o.kind === 'retry' || o.kind === 'unconfirmed');
    if (retryable && 'failure' in retryable) throw retryable.failure;
    return outcomes.filter((o) => o.kind === 'sent').length;
  }

  async function settle(outcomes: SendOutcome[]): Promise<void> {
    const now = clock();
    const sent = outcomes.filter((o) => o.kind === 'sent');
    if (sent.length > 0) {
      await sql`
        UPDATE outbound_messages AS o
        SET state = CASE WHEN o.state = 'sending' THEN 'sent' ELSE o.state END, vendor_message_id = u.vendor_message_id, sent_at = ${now}
        FROM unnest(${sent.map((o) => o.id)}::bigint[], ${sent.map((o) => o.vendorMessageId)}::text[]) AS u(id, vendor_message_id)
        WHERE o.id = u.id`.execute(db);
    }
    for (const o of outcomes) {
      if (o.kind === 'refused') await db.updateTable('outbound_messages').set({ state: 'failed', error: o.reason }).where('id', '=', o.id).execute();
    }
    // A send the vendor turned away for now was not sent: its row goes, so the retry sends it.
    const retried = outcomes.filter((o) => o.kind === 'retry').map((o) => o.id);
    if (retried.length > 0) await db.deleteFrom('outbound_messages').where('id', 'in', retried).execute();
  }
}
