import { sql, type Kysely } from 'kysely';

/** Each nonce a replayable signature came with (Plivo's V2 signs no parameters): a captured header pair is accepted once. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('webhook_nonces')
    .addColumn('vendor', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addColumn('seen_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('webhook_nonces_pk', ['vendor', 'nonce'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('webhook_nonces').execute();
}
