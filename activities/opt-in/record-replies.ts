import { sql, type Kysely } from 'kysely';
import type { Database } from '../../database/schema.ts';
import { ConsentLedger, type ConsentEvidence } from './consent-ledger.ts';
import type { InboundMessage } from './inbound-events.ts';
import { classifyReply } from './reply-intent.ts';
import { latestOfEach } from './latest-of-each.ts';
import type { Wakes } from './wakes.ts';

interface Recipient {
  campaign_id: string;
  contact_id: string;
  e164: string;
}

/**
 * Customers' messages, a batch in a few statements: each is kept once (by the vendor's id), a yes or a STOP enters
 * the consent ledger and decides the customer's place in the latest campaign that asked them. Returns, for each
 * message in order, the campaign to wake (a yes) and whether a CRM holds the number.
 *
 * The writes go side by side, outside a transaction: each is keyed by the vendor's ids and changes nothing when
 * repeated, so a batch that fails halfway is recorded whole when its webhooks come again.
 */
export async function recordReplies(db: Kysely<Database>, messages: InboundMessage[]): Promise<Wakes[]> {
  const recipients = await latestRecipients(db, messages);
  const replies = messages.map((message, i) => {
    const intent = classifyReply(message.text);
    const recipient = recipients[i];
    // A number writing by SMS or WhatsApp is known by its number even when no campaign asked it.
    const e164 = recipient?.e164 ?? (message.channel === 'viber' ? null : message.from);
    return { message, intent, recipient, e164, decision: intent === 'undecided' || e164 === null ? null : intent === 'yes' ? ('granted' as const) : ('withdrawn' as const) };
  });
  const decided = replies.filter((r) => r.decision !== null);
  // A customer who wrote twice in the batch: the later words decide, as they would have one by one.
  const decisions = latestOfEach(
    decided.filter((r) => r.recipient !== undefined),
    (r) => `${r.recipient!.campaign_id}\n${r.recipient!.contact_id}`,
    (r) => r.message.at,
  );

  const [inCrm] = await Promise.all([
    numbersInSomeCrm(db, decided.map((r) => r.e164!)),
    db
      .insertInto('inbound_messages')
      .values(
        replies.map(({ message, intent, recipient }) => ({
          provider: message.provider,
          provider_message_id: message.providerMessageId,
          channel: message.channel,
          sender: message.from,
          text: message.text,
          intent,
          event_at: message.at,
          campaign_id: recipient?.campaign_id ?? null,
          contact_id: recipient?.contact_id ?? null,
        })),
      )
      .onConflict((oc) => oc.columns(['provider', 'provider_message_id']).doNothing())
      .execute(),
    new ConsentLedger(db).record(
      decided.map(({ message, recipient, e164, decision }): ConsentEvidence => ({
        e164: e164!,
        decision: decision!,
        channel: message.channel,
        provider: message.provider,
        providerMessageId: message.providerMessageId,
        address: message.from,
        text: message.text,
        at: message.at,
        campaignId: recipient?.campaign_id ?? null,
        contactId: recipient?.contact_id ?? null,
      })),
    ),
    decisions.length > 0 &&
      sql`
        UPDATE campaign_recipients AS r SET decision = u.decision, decided_at = u.at
        FROM unnest(${decisions.map((d) => d.recipient!.campaign_id)}::text[], ${decisions.map((d) => d.recipient!.contact_id)}::bigint[],
                    ${decisions.map((d) => d.decision)}::text[], ${decisions.map((d) => d.message.at.toISOString())}::timestamptz[])
          AS u(campaign_id, contact_id, decision, at)
        WHERE r.campaign_id = u.campaign_id AND r.contact_id = u.contact_id AND (r.decided_at IS NULL OR r.decided_at <= u.at)`.execute(db),
  ]);
  return replies.map(({ recipient, intent, e164, decision }) => ({
    ...(recipient && intent === 'yes' ? { campaignId: recipient.campaign_id } : {}),
    crm: decision !== null && inCrm.has(e164!),
  }));
}

/** Each message's recipient in the latest campaign that asked its sender (by Viber id or number, or WhatsApp number). */
async function latestRecipients(db: Kysely<Database>, messages: InboundMessage[]): Promise<(Recipient | undefined)[]> {
  const found = new Map<string, Recipient>();
  for (const column of ['address', 'e164'] as const) {
    const senders = [...new Set(messages.filter((m) => (m.channel === 'whatsapp') === (column === 'e164')).map((m) => m.from))];
    if (senders.length === 0) continue;
    const { rows } = await sql<Recipient & { sender: string }>`
      SELECT DISTINCT ON (r.${sql.ref(column)}) r.${sql.ref(column)} AS sender, r.campaign_id, r.contact_id, r.e164
      FROM campaign_recipients AS r JOIN campaigns AS c ON c.campaign_id = r.campaign_id
      WHERE r.${sql.ref(column)} = ANY(${senders}::text[])
      ORDER BY r.${sql.ref(column)}, c.created_at DESC`.execute(db);
    for (const { sender, ...recipient } of rows) found.set(`${column}\n${sender}`, recipient);
  }
  return messages.map((m) => found.get(`${m.channel === 'whatsapp' ? 'e164' : 'address'}\n${m.from}`));
}

/**
 * The numbers among `e164s` a CRM holds already: only for those is there anything to send at once. A campaign's
 * replies before the migration's sync wake nothing; the sync sends them with the rest.
 */
async function numbersInSomeCrm(db: Kysely<Database>, e164s: string[]): Promise<Set<string>> {
  if (e164s.length === 0) return new Set();
  const rows = await db
    .selectFrom('crm_sync_state as s')
    .innerJoin('contacts as c', 'c.id', 's.contact_id')
    .select('c.e164')
    .distinct()
    .where('s.synced_at', 'is not', null)
    .where('c.e164', '=', sql<string>`any(${[...new Set(e164s)]}::text[])`)
    .execute();
  return new Set(rows.map((r) => r.e164));
}
