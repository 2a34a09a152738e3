import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('staged_rows')
    .addColumn('record_key', 'text')
    .addColumn('file_line', 'integer')
    .addColumn('direction', 'text')
    .addColumn('delivery_status', 'text')
    .execute();
  // A record read twice (a retried page, a window read again) is staged once.
  await db.schema.createIndex('staged_rows_once_per_record').unique().on('staged_rows').columns(['migration_id', 'source', 'record_key']).execute();

  await db.schema
    .alterTable('contacts')
    .addColumn('messages_inbound', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('messages_outbound', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_delivery_status', 'text')
    .execute();

  await db.schema
    .createTable('extract_checkpoints')
    .addColumn('migration_id', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('pass', 'integer', (c) => c.notNull())
    .addColumn('pass_run_id', 'text', (c) => c.notNull())
    .addColumn('since', 'timestamptz')
    .addColumn('until', 'timestamptz')
    .addColumn('cursor', 'jsonb')
    .addColumn('done', 'boolean', (c) => c.notNull())
    .addColumn('watermark', 'timestamptz')
    .addColumn('next_line', 'integer', (c) => c.notNull())
    .addColumn('rows_staged', 'integer', (c) => c.notNull())
    .addColumn('quarantined', 'integer', (c) => c.notNull())
    .addColumn('request_times', 'jsonb', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('extract_checkpoints_pk', ['migration_id', 'source'])
    .execute();

  await db.schema
    .createTable('quarantined_rows')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('migration_id', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('file', 'text', (c) => c.notNull())
    .addColumn('file_line', 'integer', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`CREATE UNIQUE INDEX quarantined_rows_once ON quarantined_rows (migration_id, source, file_line, md5(content))`.execute(db);

  await db.schema
    .createTable('viber_subscribers')
    .addColumn('bot', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('country', 'text')
    .addColumn('language', 'text')
    .addColumn('phone', 'text')
    .addColumn('subscribed', 'boolean', (c) => c.notNull())
    .addColumn('subscribed_at', 'timestamptz')
    .addColumn('unsubscribed_at', 'timestamptz')
    .addColumn('last_event_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('viber_subscribers_pk', ['bot', 'user_id'])
    .execute();
  await db.schema.createIndex('viber_subscribers_by_update').on('viber_subscribers').columns(['bot', 'updated_at', 'user_id']).execute();

  await db.schema
    .createTable('viber_events')
    .addColumn('bot', 'text', (c) => c.notNull())
    .addColumn('message_token', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text')
    .addColumn('event_at', 'timestamptz', (c) => c.notNull())
    .addColumn('body', 'jsonb', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // A message's `delivered` and `seen` receipts share its token: the event is part of what makes a callback one.
    .addPrimaryKeyConstraint('viber_events_pk', ['bot', 'message_token', 'event'])
    .execute();

  await db.schema
    .createTable('viber_user_details_calls')
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('called_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('viber_user_details_calls_pk', ['user_id', 'called_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['viber_user_details_calls', 'viber_events', 'viber_subscribers', 'quarantined_rows', 'extract_checkpoints']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
  await db.schema.alterTable('contacts').dropColumn('messages_inbound').dropColumn('messages_outbound').dropColumn('last_delivery_status').execute();
  await db.schema.dropIndex('staged_rows_once_per_record').ifExists().execute();
  await db.schema.alterTable('staged_rows').dropColumn('record_key').dropColumn('file_line').dropColumn('direction').dropColumn('delivery_status').execute();
}
