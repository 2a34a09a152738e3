import { sql, type Kysely } from 'kysely';

/**
 * CRM sync by change rather than by batch. Every change a CRM shows (name, country, channels, WhatsApp state; the
 * number's consent) takes a new version from one sequence, on the contact or on its consent state; each CRM's
 * `crm_sync_state` row holds the version it last received. A contact is due when the two differ, however the change arrived: a scheduled run,
 * a webhook, or a fix before a dead-letter retry.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE SEQUENCE crm_change_seq`.execute(db);
  await db.schema
    .alterTable('contacts')
    .addColumn('crm_version', 'bigint', (c) => c.notNull().defaultTo(sql`nextval('crm_change_seq')`))
    .dropColumn('crm_id')
    .dropColumn('synced_at')
    .execute();
  await db.schema.alterTable('contact_batches').dropColumn('synced_at').addColumn('pass_id', 'text').execute();
  // Consent belongs to a number, so a decision finds its contacts by number.
  await db.schema.createIndex('contacts_by_number').on('contacts').column('e164').execute();
  // The sync leases a migration's contacts in id order, from where its last lease ended.
  await db.schema.createIndex('contacts_by_migration').on('contacts').columns(['migration_id', 'id']).execute();

  await sql`
    CREATE FUNCTION contacts_crm_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF (NEW.name, NEW.country, NEW.channels, NEW.whatsapp_state, NEW.wa_id)
         IS DISTINCT FROM (OLD.name, OLD.country, OLD.channels, OLD.whatsapp_state, OLD.wa_id) THEN
        NEW.crm_version := nextval('crm_change_seq');
      END IF;
      RETURN NEW;
    END $$`.execute(db);
  await sql`CREATE TRIGGER contacts_crm_change BEFORE UPDATE ON contacts FOR EACH ROW EXECUTE FUNCTION contacts_crm_change()`.execute(db);

  // A decision is versioned on its own row, not by touching the number's contacts: recording a STOP takes no lock
  // that a campaign's writes to contacts could hold up. A contact's version is the greater of the two.
  await db.schema
    .alterTable('consent_states')
    .addColumn('crm_version', 'bigint', (c) => c.notNull().defaultTo(sql`nextval('crm_change_seq')`))
    .execute();
  await sql`
    CREATE FUNCTION consent_crm_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF (NEW.decision, NEW.event_at) IS DISTINCT FROM (OLD.decision, OLD.event_at) THEN
        NEW.crm_version := nextval('crm_change_seq');
      END IF;
      RETURN NEW;
    END $$`.execute(db);
  await sql`CREATE TRIGGER consent_crm_change BEFORE UPDATE ON consent_states FOR EACH ROW EXECUTE FUNCTION consent_crm_change()`.execute(db);

  await db.schema
    .createTable('crm_sync_state')
    .addColumn('crm', 'text', (c) => c.notNull())
    .addColumn('account', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'bigint', (c) => c.notNull())
    .addColumn('record_id', 'text')
    .addColumn('synced_version', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('synced_fingerprint', 'text')
    .addColumn('synced_at', 'timestamptz')
    .addColumn('lease_token', 'text')
    .addColumn('lease_until', 'timestamptz')
    .addPrimaryKeyConstraint('crm_sync_state_pk', ['contact_id', 'crm', 'account'])
    .execute();
  // A slice's counts are kept with its answers, in their transaction: an attempt that fails after some writes
  // (a 5xx, a lost worker) has its work counted once, by the attempt that ends the slice.
  await db.schema
    .createTable('crm_sync_slices')
    .addColumn('slice', 'text', (c) => c.primaryKey())
    .addColumn('written', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('unchanged', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema.alterTable('dead_letters').dropConstraint('dead_letters_once').execute();
  await db.schema.alterTable('dead_letters').addColumn('retried_at', 'timestamptz').addColumn('resolved_at', 'timestamptz').execute();
  await db.schema.alterTable('dead_letters').addUniqueConstraint('dead_letters_once', ['migration_id', 'stage', 'vendor', 'contact_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('dead_letters').dropConstraint('dead_letters_once').execute();
  await db.schema.alterTable('dead_letters').dropColumn('retried_at').dropColumn('resolved_at').execute();
  await db.schema.alterTable('dead_letters').addUniqueConstraint('dead_letters_once', ['migration_id', 'stage', 'contact_id']).execute();
  await db.schema.dropTable('crm_sync_slices').execute();
  await db.schema.dropTable('crm_sync_state').execute();
  await sql`DROP TRIGGER consent_crm_change ON consent_states`.execute(db);
  await sql`DROP FUNCTION consent_crm_change`.execute(db);
  await db.schema.alterTable('consent_states').dropColumn('crm_version').execute();
  await sql`DROP TRIGGER contacts_crm_change ON contacts`.execute(db);
  await sql`DROP FUNCTION contacts_crm_change`.execute(db);
  await db.schema.dropIndex('contacts_by_migration').execute();
  await db.schema.dropIndex('contacts_by_number').execute();
  await db.schema.alterTable('contact_batches').dropColumn('pass_id').addColumn('synced_at', 'timestamptz').execute();
  await db.schema.alterTable('contacts').dropColumn('crm_version').addColumn('crm_id', 'text').addColumn('synced_at', 'timestamptz').execute();
  await sql`DROP SEQUENCE crm_change_seq`.execute(db);
}
