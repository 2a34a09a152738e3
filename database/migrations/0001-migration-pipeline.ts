import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('staged_rows')
    .addColumn('migration_id', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('line_no', 'integer', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('phone_raw', 'text')
    .addColumn('name', 'text')
    .addColumn('country', 'text')
    .addColumn('last_interaction_at', 'timestamptz')
    .addColumn('viber_user_id', 'text')
    .addColumn('raw', 'jsonb', (c) => c.notNull())
    .addPrimaryKeyConstraint('staged_rows_pk', ['migration_id', 'source', 'line_no'])
    .execute();

  // Kept apart from staging: appending narrow rows is several times cheaper than rewriting wide staged ones.
  await db.schema
    .createTable('normalized_rows')
    .addColumn('migration_id', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('line_no', 'integer', (c) => c.notNull())
    .addColumn('e164', 'text')
    .addColumn('number_region', 'text')
    .addColumn('line_type', 'text')
    .addColumn('reject_reason', 'text')
    .addPrimaryKeyConstraint('normalized_rows_pk', ['migration_id', 'source', 'line_no'])
    .execute();

  await db.schema
    .createTable('contacts')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('migration_id', 'text', (c) => c.notNull())
    .addColumn('e164', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('country', 'text')
    .addColumn('line_type', 'text')
    .addColumn('channels', sql`text[]`, (c) => c.notNull())
    .addColumn('last_interaction_at', 'timestamptz')
    .addColumn('viber_user_id', 'text')
    .addColumn('source_rows', 'integer', (c) => c.notNull())
    .addColumn('batch_no', 'integer')
    .addColumn('reachability', 'text')
    .addColumn('wa_id', 'text')
    .addColumn('verified_at', 'timestamptz')
    .addColumn('crm_id', 'text')
    .addColumn('synced_at', 'timestamptz')
    .addUniqueConstraint('contacts_one_per_number', ['migration_id', 'e164'])
    .execute();
  await db.schema.createIndex('contacts_by_batch').on('contacts').columns(['migration_id', 'batch_no']).execute();

  await db.schema
    .createTable('merge_conflicts')
    .addColumn('migration_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('claims', sql`text[]`, (c) => c.notNull())
    .addPrimaryKeyConstraint('merge_conflicts_pk', ['migration_id', 'kind', 'subject'])
    .execute();

  await db.schema
    .createTable('contact_batches')
    .addColumn('migration_id', 'text', (c) => c.notNull())
    .addColumn('batch_no', 'integer', (c) => c.notNull())
    .addColumn('contact_count', 'integer', (c) => c.notNull())
    .addColumn('verified_at', 'timestamptz')
    .addColumn('synced_at', 'timestamptz')
    .addPrimaryKeyConstraint('contact_batches_pk', ['migration_id', 'batch_no'])
    .execute();

  await db.schema
    .createTable('dead_letters')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('migration_id', 'text', (c) => c.notNull())
    .addColumn('stage', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'bigint', (c) => c.notNull())
    .addColumn('vendor', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('dead_letters_once', ['migration_id', 'stage', 'contact_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['dead_letters', 'contact_batches', 'merge_conflicts', 'contacts', 'normalized_rows', 'staged_rows']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
