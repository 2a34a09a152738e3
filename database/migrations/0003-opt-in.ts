import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('contacts')
    .addColumn('reachability_evidence', 'jsonb')
    .addColumn('reengage', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('whatsapp_state', 'text')
    .addColumn('whatsapp_settled_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('carrier_lookups')
    .addColumn('migration_id', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'bigint', (c) => c.notNull())
    .addColumn('vendor', 'text', (c) => c.notNull())
    .addColumn('answer', 'jsonb', (c) => c.notNull())
    .addColumn('looked_up_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('carrier_lookups_pk', ['migration_id', 'contact_id'])
    .execute();

  await db.schema
    .createTable('campaigns')
    .addColumn('campaign_id', 'text', (c) => c.primaryKey())
    .addColumn('migration_id', 'text', (c) => c.notNull())
    .addColumn('config', 'jsonb', (c) => c.notNull())
    .addColumn('batches', 'integer', (c) => c.notNull())
    .addColumn('recipients', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('closed_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('campaign_recipients')
    .addColumn('campaign_id', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'bigint', (c) => c.notNull())
    .addColumn('batch_no', 'integer', (c) => c.notNull())
    .addColumn('e164', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('vendor', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('country', 'text')
    .addColumn('decision', 'text')
    .addColumn('decided_at', 'timestamptz')
    .addPrimaryKeyConstraint('campaign_recipients_pk', ['campaign_id', 'contact_id'])
    .execute();
  // A reply names only its sender: the recipient it answers is found by address.
  await db.schema.createIndex('campaign_recipients_by_address').on('campaign_recipients').columns(['address']).execute();

  await db.schema
    .createTable('outbound_messages')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('campaign_id', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'bigint', (c) => c.notNull())
    .addColumn('step', 'text', (c) => c.notNull())
    .addColumn('vendor', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('vendor_message_id', 'text')
    .addColumn('intent_at', 'timestamptz', (c) => c.notNull())
    .addColumn('sent_at', 'timestamptz')
    .addColumn('receipt_at', 'timestamptz')
    .addColumn('error', 'text')
    .execute();
  // No contact gets the same step of a campaign twice: the row is written before the message goes out.
  await db.schema.createIndex('outbound_messages_once_per_step').unique().on('outbound_messages').columns(['campaign_id', 'contact_id', 'step']).execute();
  await db.schema.createIndex('outbound_messages_by_vendor_id').on('outbound_messages').columns(['vendor', 'vendor_message_id']).execute();
  await db.schema.createIndex('outbound_messages_by_step_time').on('outbound_messages').columns(['step', 'intent_at']).execute();

  await db.schema
    .createTable('inbound_messages')
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('provider_message_id', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('sender', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('intent', 'text', (c) => c.notNull())
    .addColumn('event_at', 'timestamptz', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('campaign_id', 'text')
    .addColumn('contact_id', 'bigint')
    .addPrimaryKeyConstraint('inbound_messages_pk', ['provider', 'provider_message_id'])
    .execute();

  await db.schema
    .createTable('consent_ledger')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('e164', 'text', (c) => c.notNull())
    .addColumn('decision', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('provider_message_id', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('event_at', 'timestamptz', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('campaign_id', 'text')
    .addColumn('contact_id', 'bigint')
    .addUniqueConstraint('consent_ledger_once_per_message', ['provider', 'provider_message_id'])
    .execute();

  await db.schema
    .createTable('consent_states')
    .addColumn('e164', 'text', (c) => c.primaryKey())
    .addColumn('decision', 'text', (c) => c.notNull())
    .addColumn('event_at', 'timestamptz', (c) => c.notNull())
    .addColumn('ledger_id', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('whatsapp_status_events')
    .addColumn('wamid', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('event_at', 'timestamptz', (c) => c.notNull())
    .addColumn('wa_id', 'text', (c) => c.notNull())
    .addColumn('error_codes', 'jsonb', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('whatsapp_status_events_pk', ['wamid', 'status'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['whatsapp_status_events', 'consent_states', 'consent_ledger', 'inbound_messages', 'outbound_messages', 'campaign_recipients', 'campaigns', 'carrier_lookups']) {
    await db.schema.dropTable(table).execute();
  }
  await db.schema
    .alterTable('contacts')
    .dropColumn('reachability_evidence')
    .dropColumn('reengage')
    .dropColumn('whatsapp_state')
    .dropColumn('whatsapp_settled_at')
    .execute();
}
