import { sql, type Kysely } from 'kysely';

/**
 * Scenario rollouts: a rollout's config and its audience (each contact's cohort bucket and old channel, fixed once),
 * and every message its scenarios sent, with what the vendors' status webhooks said of it. Replies are not stored
 * here: they are the inbound messages from a send's address on its channel after it went out.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('rollouts')
    .addColumn('rollout_id', 'text', (c) => c.primaryKey())
    .addColumn('migration_id', 'text', (c) => c.notNull())
    .addColumn('config', 'jsonb', (c) => c.notNull())
    .addColumn('batches', 'integer', (c) => c.notNull())
    .addColumn('audience', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('rollout_audience')
    .addColumn('rollout_id', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'bigint', (c) => c.notNull())
    .addColumn('batch_no', 'integer', (c) => c.notNull())
    .addColumn('bucket', 'integer', (c) => c.notNull())
    .addColumn('held_out', 'text')
    .addColumn('e164', 'text', (c) => c.notNull())
    .addColumn('old_channel', 'text', (c) => c.notNull())
    .addColumn('old_vendor', 'text', (c) => c.notNull())
    .addColumn('old_address', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('rollout_audience_pk', ['rollout_id', 'contact_id'])
    .execute();
  await db.schema.createIndex('rollout_audience_by_batch').on('rollout_audience').columns(['rollout_id', 'batch_no']).execute();

  await db.schema
    .createTable('rollout_sends')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('rollout_id', 'text', (c) => c.notNull())
    .addColumn('scenario_id', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'bigint', (c) => c.notNull())
    .addColumn('cohort', 'text', (c) => c.notNull())
    .addColumn('attempt', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('vendor', 'text', (c) => c.notNull())
    .addColumn('form', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('vendor_message_id', 'text')
    .addColumn('fallback_of', 'bigint')
    .addColumn('intent_at', 'timestamptz', (c) => c.notNull())
    .addColumn('sent_at', 'timestamptz')
    .addColumn('delivered_at', 'timestamptz')
    .addColumn('read_at', 'timestamptz')
    .addColumn('failed_at', 'timestamptz')
    .addColumn('error_code', 'integer')
    .addColumn('error', 'text')
    .execute();
  // A contact gets each scenario once, and at most one fallback of it: the row is written before the message goes out.
  await db.schema.createIndex('rollout_sends_once').unique().on('rollout_sends').columns(['rollout_id', 'scenario_id', 'contact_id', 'attempt']).execute();
  await db.schema.createIndex('rollout_sends_by_vendor_id').on('rollout_sends').columns(['vendor', 'vendor_message_id']).execute();
  // Replies are matched to sends by address and channel.
  await db.schema.createIndex('rollout_sends_by_address').on('rollout_sends').columns(['channel', 'address', 'intent_at']).execute();
  await db.schema.createIndex('inbound_messages_by_sender').on('inbound_messages').columns(['channel', 'sender', 'event_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('inbound_messages_by_sender').execute();
  for (const table of ['rollout_sends', 'rollout_audience', 'rollouts']) await db.schema.dropTable(table).execute();
}
