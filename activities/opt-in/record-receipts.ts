import { sql, type Kysely } from 'kysely';
import type { Database } from '../../database/schema.ts';
import type { DeliveryReceipt } from './inbound-events.ts';
import { campaignReference, rolloutReference } from './message-references.ts';

/**
 * A campaign message's states in the order receipts may move it: a receipt never moves it back (delivered is final,
 * a failure outlasts a late "sent"), so the receipts of a batch leave the latest of theirs and the row's own.
 */
const RECEIPT_STATES = ['sending', 'sent', 'failed', 'delivered'];

/**
 * Old-channel receipts (Vonage DLRs, Plivo status callbacks, Viber delivered, seen and failed), a batch in one
 * statement: each settles the campaign message or the rollout message it names, by our reference or the vendor's id.
 */
export async function recordReceipts(db: Kysely<Database>, receipts: DeliveryReceipt[]): Promise<void> {
  const column = <T>(value: (receipt: DeliveryReceipt, ord: number) => T) => receipts.map(value);
  const receiptRows = sql`unnest(
      ${column((_, ord) => ord)}::int[], ${column((r) => r.provider)}::text[], ${column((r) => r.recipient)}::text[],
      ${column((r) => r.providerMessageId ?? null)}::text[], ${column((r) => r.status)}::text[], ${column((r) => r.at.toISOString())}::timestamptz[],
      ${column((r) => campaignReference(r.reference) ?? null)}::bigint[], ${column((r) => rolloutReference(r.reference) ?? null)}::bigint[])
    AS r(ord, vendor, recipient, vendor_message_id, status, at, campaign_ref, rollout_ref)`;

  // One statement, so a batch of receipts needs no transaction of its own: both tables are settled at once.
  await sql`
    WITH receipt AS (SELECT * FROM ${receiptRows}),
    campaign_matched AS (
      SELECT o.id, r.ord, r.vendor_message_id, r.at,
             array_position(${RECEIPT_STATES}::text[], CASE WHEN r.status = 'read' THEN 'delivered' ELSE r.status END) AS rank
      FROM receipt AS r
      JOIN outbound_messages AS o ON o.vendor = r.vendor AND o.address = r.recipient
        -- A send whose answer died with its worker has no vendor id yet; its receipt still proves it went out.
        AND (o.id = r.campaign_ref OR o.vendor_message_id = r.vendor_message_id OR (r.vendor = 'viber' AND o.state = 'sending'))
    ), campaign_folded AS (
      SELECT id, max(rank) AS rank,
             (array_agg(vendor_message_id ORDER BY ord) FILTER (WHERE vendor_message_id IS NOT NULL))[1] AS vendor_message_id,
             (array_agg(at ORDER BY ord DESC))[1] AS at
      FROM campaign_matched GROUP BY id
    ), campaign_settled AS (
      UPDATE outbound_messages AS o
      SET state = (${RECEIPT_STATES}::text[])[greatest(array_position(${RECEIPT_STATES}::text[], o.state), f.rank)],
          vendor_message_id = coalesce(o.vendor_message_id, f.vendor_message_id),
          receipt_at = f.at
      FROM campaign_folded AS f WHERE o.id = f.id
    ),
    -- A rollout's message went out, and was delivered (and on Viber seen) or not: the first word on each stays.
    rollout_matched AS (
      SELECT s.id, r.*
      FROM receipt AS r
      JOIN rollout_sends AS s ON s.vendor = r.vendor AND s.address = r.recipient AND (s.id = r.rollout_ref OR s.vendor_message_id = r.vendor_message_id)
    ), rollout_folded AS (
      SELECT id,
             (array_agg(vendor_message_id ORDER BY ord) FILTER (WHERE vendor_message_id IS NOT NULL))[1] AS vendor_message_id,
             (array_agg(at ORDER BY ord) FILTER (WHERE status IN ('delivered', 'read')))[1] AS delivered_at,
             (array_agg(at ORDER BY ord) FILTER (WHERE status = 'read'))[1] AS read_at,
             (array_agg(at ORDER BY ord) FILTER (WHERE status = 'failed'))[1] AS failed_at
      FROM rollout_matched GROUP BY id
    )
    UPDATE rollout_sends AS s
    SET state = CASE WHEN s.state = 'sending' THEN 'sent' ELSE s.state END,
        vendor_message_id = coalesce(s.vendor_message_id, f.vendor_message_id),
        delivered_at = coalesce(s.delivered_at, f.delivered_at),
        read_at = coalesce(s.read_at, f.read_at),
        failed_at = coalesce(s.failed_at, f.failed_at)
    FROM rollout_folded AS f WHERE s.id = f.id`.execute(db);
}
