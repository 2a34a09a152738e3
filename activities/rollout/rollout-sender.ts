import { Context } from '@temporalio/activity';
import { sql } from 'kysely';
import type { ActivityDependencies } from '../dependencies.ts';
import type { RolloutSendTable } from '../../database/schema.ts';
import { ConsentLedger } from '../opt-in/consent-ledger.ts';
import { requireMessaging } from '../opt-in/messaging-connectors.ts';
import { oldChannelSender, unsentOutcome, type SendOutcome } from '../opt-in/old-channel-sender.ts';
import { VIBER_BROADCAST_RECEIVERS } from '../../connectors/viber/bot-client.ts';
import type { InteractiveMessage } from '../../connectors/whatsapp/interactive-message.ts';

/** One message a rollout is about to send, with what it says; its row is written before it goes. */
export interface RolloutMessage {
  rolloutId: string;
  scenarioId: string;
  contactId: string;
  cohort: string;
  attempt: RolloutSendTable['attempt'];
  channel: RolloutSendTable['channel'];
  vendor: string;
  form: RolloutSendTable['form'];
  reason: string;
  address: string;
  fallbackOf?: string;
  content:
    | { kind: 'template'; name: string; language: string; parameters: string[] }
    | { kind: 'text'; text: string }
    | { kind: 'interactive'; interactive: InteractiveMessage };
}

/**
 * Sends of one chunk run side by side (the vendor client's rate limit spaces them): about a second's worth of
 * WhatsApp's default throughput, the opt-in campaign's SMS chunk, one Viber broadcast.
 */
const CHUNKS: readonly [RolloutSendTable['channel'], number][] = [
  ['whatsapp', 100],
  ['sms', 50],
  ['viber', VIBER_BROADCAST_RECEIVERS],
];

/**
 * Sends rollout messages through the connectors the opt-in campaign uses (their rate limits included), chunk by
 * chunk. Each message's row is written first, keyed by rollout, scenario, contact and attempt, so a retried activity never
 * sends one twice; our reference `r<row id>` goes with each message (Vonage client-ref, Plivo status URL, WhatsApp
 * callback data) so a receipt settles a send whose answer was lost. Answers that say "later" remove the row and fail
 * the activity for Temporal to retry, after the others are recorded.
 */
export function rolloutSender({ db, messaging, clock }: Pick<ActivityDependencies, 'db' | 'messaging' | 'clock'>) {
  const sender = oldChannelSender({ messaging, clock });
  return async function send(messages: RolloutMessage[], viberSender: string): Promise<number> {
    // Channels side by side, so both cohorts of a batch are reached at about the same time.
    const channels = await Promise.allSettled(
      CHUNKS.map(async ([channel, size]) => {
        const ofChannel = messages.filter((m) => m.channel === channel);
        let sent = 0;
        for (let i = 0; i < ofChannel.length; i += size) {
          sent += await sendChunk(ofChannel.slice(i, i + size), viberSender);
          Context.current().heartbeat();
        }
        return sent;
      }),
    );
    const failed = channels.find((c) => c.status === 'rejected');
    if (failed) throw failed.reason;
    return channels.reduce((sum, c) => sum + (c.status === 'fulfilled' ? c.value : 0), 0);
  };

  /** Writes the chunk's rows, sends, and records the answers before the next chunk starts: no row waits long unsettled. */
  async function sendChunk(messages: RolloutMessage[], viberSender: string): Promise<number> {
    // Claimed and checked against STOP in one statement, as the campaign's sends are: the audience was read at the
    // batch's start, and a STOP recorded since must still keep the message back.
    const claims = messages.map((m) => ({
      rollout_id: m.rolloutId,
      scenario_id: m.scenarioId,
      contact_id: m.contactId,
      cohort: m.cohort,
      attempt: m.attempt,
      channel: m.channel,
      vendor: m.vendor,
      form: m.form,
      reason: m.reason,
      address: m.address,
      fallback_of: m.fallbackOf ?? null,
    }));
    const { rows } = await sql<{ id: string; contact_id: string }>`
      INSERT INTO rollout_sends (rollout_id, scenario_id, contact_id, cohort, attempt, channel, vendor, form, reason, address, fallback_of, state, intent_at)
      SELECT m.*, 'sending', ${clock()}
      FROM jsonb_to_recordset(${JSON.stringify(claims)}::jsonb) AS m(rollout_id text, scenario_id text, contact_id bigint, cohort text, attempt text,
        channel text, vendor text, form text, reason text, address text, fallback_of bigint)
      JOIN contacts AS c ON c.id = m.contact_id
      WHERE ${ConsentLedger.notWithdrawn(sql.ref('c.e164'))}
      ON CONFLICT (rollout_id, scenario_id, contact_id, attempt) DO NOTHING
      RETURNING id, contact_id`.execute(db);
    const idOf = new Map(rows.map((row) => [String(row.contact_id), String(row.id)]));
    const due = messages.filter((m) => idOf.has(m.contactId)).map((m) => ({ ...m, id: idOf.get(m.contactId)! }));
    const channel = due[0]?.channel;
    const outcomes: SendOutcome[] =
      channel === 'viber' ? await sender.viber(due.map(oldChannel), viberSender) : await Promise.all(due.map((m) => (channel === 'whatsapp' ? sendWhatsApp(m) : sender.sms(oldChannel(m)))));
    await settle(outcomes);
    const retry = outcomes.find((o) => o.kind === 'retry' || o.kind === 'unconfirmed');
    if (retry && 'failure' in retry) throw retry.failure;
    return outcomes.filter((o) => o.kind === 'sent').length;
  }

  async function sendWhatsApp(m: RolloutMessage & { id: string }): Promise<SendOutcome> {
    const client = requireMessaging(messaging, 'whatsApp');
    const callbackData = `r${m.id}`;
    const { content } = m;
    try {
      const { wamid } =
        content.kind === 'text'
          ? await client.sendText({ to: m.address, body: content.text, callbackData })
          : content.kind === 'interactive'
            ? await client.sendInteractive({ to: m.address, interactive: content.interactive, callbackData })
            : await client.sendTemplate({ to: m.address, template: { name: content.name, languageCode: content.language, bodyParameters: content.parameters }, callbackData });
      return { kind: 'sent', id: m.id, vendorMessageId: wamid, at: clock() };
    } catch (failure) {
      return unsentOutcome(m.id, failure);
    }
  }

  function oldChannel(m: RolloutMessage & { id: string }) {
    return { id: m.id, vendor: m.vendor, address: m.address, text: m.content.kind === 'text' ? m.content.text : '', reference: `r${m.id}` };
  }

  async function settle(outcomes: SendOutcome[]): Promise<void> {
    const now = clock();
    const sent = outcomes.filter((o) => o.kind === 'sent');
    if (sent.length > 0) {
      // Each with the time its vendor took it (response times count from there). A status webhook may have come
      // first and found the row by our reference: its findings stay.
      await sql`
        UPDATE rollout_sends AS s
        SET state = CASE WHEN s.state = 'sending' THEN 'sent' ELSE s.state END, vendor_message_id = u.vendor_message_id, sent_at = u.sent_at
        FROM unnest(${sent.map((o) => o.id)}::bigint[], ${sent.map((o) => o.vendorMessageId)}::text[], ${sent.map((o) => o.at.toISOString())}::timestamptz[])
          AS u(id, vendor_message_id, sent_at)
        WHERE s.id = u.id`.execute(db);
    }
    for (const o of outcomes) {
      if (o.kind === 'refused') await db.updateTable('rollout_sends').set({ state: 'failed', failed_at: now, error: o.reason }).where('id', '=', o.id).execute();
    }
    const retried = outcomes.filter((o) => o.kind === 'retry').map((o) => o.id);
    if (retried.length > 0) await db.deleteFrom('rollout_sends').where('id', 'in', retried).execute();
  }
}
