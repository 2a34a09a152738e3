import { sql, type Kysely } from 'kysely';

/**
 * Erasure requests, kept after they are done as the evidence of each erasure (a keyed hash of the number, no
 * number), and the place of every backup archive written, so an erasure finds each copy of a raw extract.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('erasure_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('subject_hash', 'text', (c) => c.notNull())
    .addColumn('e164', 'text')
    .addColumn('requested_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('completed_at', 'timestamptz')
    .addColumn('removed', 'jsonb')
    .execute();
  await db.schema.createIndex('erasure_requests_by_subject').on('erasure_requests').column('subject_hash').execute();

  await db.schema
    .createTable('backup_archives')
    .addColumn('dir', 'text', (c) => c.notNull())
    .addColumn('migration_id', 'text', (c) => c.notNull())
    .addColumn('file', 'text', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('backup_archives_pk', ['dir', 'migration_id', 'file'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('backup_archives').execute();
  await db.schema.dropTable('erasure_requests').execute();
}
