import { sql, type Transaction } from 'kysely';
import type { Database } from '../../database/schema.ts';
import type { WhatsAppStatus } from './inbound-events.ts';
import { campaignReference, rolloutReference } from './message-references.ts';
import type { Wakes } from './wakes.ts';

/** Meta's code for a message to a number that is not on WhatsApp. */
const NOT_ON_WHATSAPP = 131026;

type Activation = 'sent' | 'active' | 'not_on_whatsapp' | 'failed';

/** The states a status may settle a contact from: a delivery, once seen, is never undone by a later failure. */
const SETTLES_FROM: Record<Exclude<Activation, 'sent'>, readonly (string | null)[]> = {
  active: [null, 'sent', 'unknown', 'failed', 'not_on_whatsapp'],
  not_on_whatsapp: [null, 'sent', 'unknown'],
  failed: [null, 'sent', 'unknown'],
};

/**
 * WhatsApp statuses, a batch at a time: each is kept once, settles the message it is about (a campaign's welcome
 * or a rollout's message, found by the wamid or our callback data), and the contact's WhatsApp state: delivered or
 * read → active with its `wa_id`, failed 131026 → not on WhatsApp. Statuses come out of order and twice; they are
 * applied in the order they arrived, each as it would have been alone. Returns, for each status, whether a CRM
 * holds a contact it changed.
 */
export async function recordWhatsAppStatuses(trx: Transaction<Database>, statuses: WhatsAppStatus[]): Promise<Wakes[]> {
  await trx
    .insertInto('whatsapp_status_events')
    .values(statuses.map((s) => ({ wamid: s.wamid, status: s.status, event_at: s.at, wa_id: s.waId, error_codes: JSON.stringify(s.errorCodes) })))
    .onConflict((oc) => oc.columns(['wamid', 'status']).doNothing())
    .execute();

  const contactOf = await settleCampaignMessages(trx, statuses);
  const rollout = statuses.flatMap((s, ord) => (contactOf.has(ord) ? [] : [{ ...s, ord }]));
  for (const [ord, contactId] of await settleRolloutMessages(trx, rollout)) contactOf.set(ord, contactId);

  const changed = await settleContacts(trx, statuses, contactOf);
  const inCrm = await contactsInSomeCrm(trx, [...new Set([...changed].map((ord) => contactOf.get(ord)!))]);
  return statuses.map((_, ord) => ({ crm: changed.has(ord) && inCrm.has(contactOf.get(ord)!) }));
}

/** The campaign messages the statuses are about, each left as its statuses one by one would leave it; by status, the message's contact. */
async function settleCampaignMessages(trx: Transaction<Database>, statuses: WhatsAppStatus[]): Promise<Map<number, string>> {
  const { rows: matched } = await sql<{ ord: number; id: string; contact_id: string }>`
    WITH s AS (SELECT * FROM unnest(${statuses.map((_, ord) => ord)}::int[], ${statuses.map((s) => s.wamid)}::text[],
                                    ${statuses.map((s) => campaignReference(s.callbackData) ?? null)}::bigint[]) AS s(ord, wamid, ref))
    SELECT s.ord, o.id, o.contact_id FROM s JOIN outbound_messages AS o ON o.vendor = 'whatsapp' AND o.vendor_message_id = s.wamid
    UNION
    SELECT s.ord, o.id, o.contact_id FROM s JOIN outbound_messages AS o ON o.vendor = 'whatsapp' AND o.id = s.ref
    ORDER BY ord`.execute(trx);
  const folded = new Map<string, { delivered: boolean; state: string; wamid: string; at: Date }>();
  for (const { ord, id } of matched) {
    const status = statuses[ord]!;
    const state = status.status === 'delivered' || status.status === 'read' ? 'delivered' : status.status === 'failed' ? 'failed' : 'sent';
    folded.set(id, { delivered: (folded.get(id)?.delivered ?? false) || state === 'delivered', state, wamid: status.wamid, at: status.at });
  }
  if (folded.size > 0) {
    const messages = [...folded];
    await sql`
      UPDATE outbound_messages AS o
      SET state = CASE WHEN o.state = 'delivered' OR u.delivered THEN 'delivered' ELSE u.state END, vendor_message_id = u.wamid, receipt_at = u.at
      FROM unnest(${messages.map(([id]) => id)}::bigint[], ${messages.map(([, m]) => m.delivered)}::boolean[], ${messages.map(([, m]) => m.state)}::text[],
                  ${messages.map(([, m]) => m.wamid)}::text[], ${messages.map(([, m]) => m.at.toISOString())}::timestamptz[]) AS u(id, delivered, state, wamid, at)
      WHERE o.id = u.id`.execute(trx);
  }
  return new Map(matched.map((m) => [m.ord, m.contact_id]));
}

/** A rollout's messages the other statuses are about: delivered, read (which is delivered too) or failed with Meta's code; the first word on each stays. */
async function settleRolloutMessages(trx: Transaction<Database>, statuses: (WhatsAppStatus & { ord: number })[]): Promise<Map<number, string>> {
  if (statuses.length === 0) return new Map();
  const { rows } = await sql<{ ord: number; contact_id: string }>`
    WITH s AS (
      SELECT * FROM unnest(${statuses.map((s) => s.ord)}::int[], ${statuses.map((s) => s.wamid)}::text[], ${statuses.map((s) => rolloutReference(s.callbackData) ?? null)}::bigint[],
                           ${statuses.map((s) => s.status)}::text[], ${statuses.map((s) => s.at.toISOString())}::timestamptz[], ${statuses.map((s) => s.errorCodes[0] ?? null)}::int[])
        AS s(ord, wamid, ref, status, at, error_code)
    ), matched AS (
      SELECT s.*, r.id, r.contact_id FROM s JOIN rollout_sends AS r ON r.vendor = 'whatsapp' AND r.vendor_message_id = s.wamid
      UNION
      SELECT s.*, r.id, r.contact_id FROM s JOIN rollout_sends AS r ON r.vendor = 'whatsapp' AND r.id = s.ref
    ), folded AS (
      SELECT id,
             (array_agg(wamid ORDER BY ord DESC))[1] AS wamid,
             (array_agg(at ORDER BY ord) FILTER (WHERE status IN ('delivered', 'read')))[1] AS delivered_at,
             (array_agg(at ORDER BY ord) FILTER (WHERE status = 'read'))[1] AS read_at,
             (array_agg(at ORDER BY ord) FILTER (WHERE status = 'failed'))[1] AS failed_at,
             (array_agg(error_code ORDER BY ord) FILTER (WHERE status = 'failed'))[1] AS error_code
      FROM matched GROUP BY id
    ), settled AS (
      UPDATE rollout_sends AS r
      SET state = CASE WHEN r.state = 'sending' THEN 'sent' ELSE r.state END,
          vendor_message_id = f.wamid,
          delivered_at = coalesce(r.delivered_at, f.delivered_at),
          read_at = coalesce(r.read_at, f.read_at),
          failed_at = coalesce(r.failed_at, f.failed_at),
          error_code = CASE WHEN f.failed_at IS NULL THEN r.error_code ELSE coalesce(r.error_code, f.error_code) END
      FROM folded AS f WHERE r.id = f.id
    )
    SELECT ord, contact_id FROM matched`.execute(trx);
  return new Map(rows.map((r) => [r.ord, r.contact_id]));
}

/** Applies each status to its contact's WhatsApp state in arrival order; returns the statuses that changed one. */
async function settleContacts(trx: Transaction<Database>, statuses: WhatsAppStatus[], contactOf: Map<number, string>): Promise<Set<number>> {
  if (contactOf.size === 0) return new Set();
  const current = await trx
    .selectFrom('contacts')
    .select(['id', 'whatsapp_state', 'whatsapp_settled_at', 'wa_id'])
    .where('id', '=', sql<string>`any(${[...new Set(contactOf.values())]}::bigint[])`)
    .orderBy('id')
    .forUpdate()
    .execute();
  const contacts = new Map(current.map((c) => [String(c.id), { state: c.whatsapp_state as string | null, settledAt: c.whatsapp_settled_at, waId: c.wa_id, dirty: false }]));
  const changed = new Set<number>();
  for (const [ord, contactId] of [...contactOf].sort(([a], [b]) => a - b)) {
    const contact = contacts.get(contactId);
    if (contact === undefined) continue;
    const status = statuses[ord]!;
    const activation = activationOf(status);
    if (activation === 'sent') {
      if (contact.state === null) Object.assign(contact, { state: 'sent', dirty: true });
      continue;
    }
    if (!SETTLES_FROM[activation].includes(contact.state)) continue;
    Object.assign(contact, { state: activation, settledAt: status.at, dirty: true, ...(activation === 'active' ? { waId: status.waId } : {}) });
    changed.add(ord);
  }
  const dirty = [...contacts].filter(([, c]) => c.dirty);
  if (dirty.length > 0) {
    await sql`
      UPDATE contacts AS c SET whatsapp_state = u.state, whatsapp_settled_at = u.settled_at, wa_id = u.wa_id
      FROM unnest(${dirty.map(([id]) => id)}::bigint[], ${dirty.map(([, c]) => c.state)}::text[],
                  ${dirty.map(([, c]) => (c.settledAt === null ? null : new Date(c.settledAt).toISOString()))}::timestamptz[], ${dirty.map(([, c]) => c.waId)}::text[])
        AS u(id, state, settled_at, wa_id)
      WHERE c.id = u.id`.execute(trx);
  }
  return changed;
}

function activationOf(status: WhatsAppStatus): Activation {
  if (status.status === 'delivered' || status.status === 'read') return 'active';
  if (status.status === 'failed') return status.errorCodes.includes(NOT_ON_WHATSAPP) ? 'not_on_whatsapp' : 'failed';
  return 'sent';
}

/** The contacts among `ids` a CRM holds already: a change of theirs is sent at once. */
async function contactsInSomeCrm(trx: Transaction<Database>, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await trx
    .selectFrom('crm_sync_state')
    .select('contact_id')
    .distinct()
    .where('synced_at', 'is not', null)
    .where('contact_id', '=', sql<string>`any(${ids}::bigint[])`)
    .execute();
  return new Set(rows.map((r) => String(r.contact_id)));
}
