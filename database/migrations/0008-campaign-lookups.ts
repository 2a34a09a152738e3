import type { Kysely } from 'kysely';

/**
 * Lookups a campaign makes thousands of times a minute, on tables that grow faster than autovacuum refreshes their
 * statistics: with an index each stays an index probe whatever the planner believes about the table's size.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // A step reads its recipients a batch at a time.
  await db.schema.createIndex('campaign_recipients_by_batch').on('campaign_recipients').columns(['campaign_id', 'batch_no']).execute();
  // A WhatsApp message is matched to the campaign that asked its sender by number.
  await db.schema.createIndex('campaign_recipients_by_number').on('campaign_recipients').column('e164').execute();
  // Receipts are matched to the messages they settle by their recipient's address.
  await db.schema.createIndex('outbound_messages_by_address').on('outbound_messages').columns(['vendor', 'address']).execute();
  await db.schema.createIndex('rollout_sends_by_vendor_address').on('rollout_sends').columns(['vendor', 'address']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const index of ['rollout_sends_by_vendor_address', 'outbound_messages_by_address', 'campaign_recipients_by_number', 'campaign_recipients_by_batch']) {
    await db.schema.dropIndex(index).execute();
  }
}
