import { sql, type RawBuilder } from 'kysely';
import type { TableName } from '../privacy/personal-data.ts';

/** Which rows of a table belong to one migration, and what else a row's pseudonyms need to know. */
export interface MigrationRows {
  /** A condition on the table's rows, as `t`. */
  where: RawBuilder<boolean>;
  /** The E.164 number the row is about, where only another table says it: the forms of it its JSON may hold. */
  e164?: RawBuilder<string | null>;
}

/** Why a table has no rows of a migration. */
export type NoMigrationRows = { notOfAMigration: string };

/**
 * The rows of migration `migrationId` in every table of the database: those with its id, and those reached from
 * them (its contacts, campaigns, rollouts, Viber users, messages). Consent is a number's, so the ledger and states
 * of its contacts' numbers come with it, whichever campaign recorded them.
 */
export function migrationRows(migrationId: string): { readonly [T in TableName]: MigrationRows | NoMigrationRows } {
  const own = { where: sql<boolean>`t.migration_id = ${migrationId}` };
  const contacts = sql`(SELECT id FROM contacts WHERE migration_id = ${migrationId})`;
  const numbers = sql`(SELECT e164 FROM contacts WHERE migration_id = ${migrationId})`;
  const campaigns = sql`(SELECT campaign_id FROM campaigns WHERE migration_id = ${migrationId})`;
  const rollouts = sql`(SELECT rollout_id FROM rollouts WHERE migration_id = ${migrationId})`;
  const viberUsers = sql`(SELECT viber_user_id FROM staged_rows WHERE migration_id = ${migrationId} AND viber_user_id IS NOT NULL)`;
  const ofContacts = { where: sql<boolean>`t.contact_id IN ${contacts}` };
  const ofCampaigns = { where: sql<boolean>`t.campaign_id IN ${campaigns}` };
  const ofRollouts = { where: sql<boolean>`t.rollout_id IN ${rollouts}` };
  const ofViberUsers = { where: sql<boolean>`t.user_id IN ${viberUsers}` };
  return {
    staged_rows: {
      ...own,
      e164: sql<string | null>`(SELECT n.e164 FROM normalized_rows n WHERE (n.migration_id, n.source, n.line_no) = (t.migration_id, t.source, t.line_no))`,
    },
    normalized_rows: own,
    contacts: own,
    merge_conflicts: own,
    contact_batches: own,
    dead_letters: own,
    crm_sync_state: ofContacts,
    crm_sync_slices: { notOfAMigration: 'counts of sync activities, by attempt' },
    extract_checkpoints: own,
    quarantined_rows: own,
    viber_subscribers: ofViberUsers,
    viber_events: ofViberUsers,
    viber_user_details_calls: ofViberUsers,
    carrier_lookups: { ...own, e164: sql<string | null>`(SELECT c.e164 FROM contacts c WHERE c.id = t.contact_id)` },
    campaigns: own,
    campaign_recipients: ofCampaigns,
    outbound_messages: ofCampaigns,
    inbound_messages: { where: sql<boolean>`(t.campaign_id IN ${campaigns} OR t.contact_id IN ${contacts})` },
    consent_ledger: { where: sql<boolean>`(t.campaign_id IN ${campaigns} OR t.contact_id IN ${contacts} OR t.e164 IN ${numbers})` },
    consent_states: { where: sql<boolean>`t.e164 IN ${numbers}` },
    whatsapp_status_events: {
      where: sql<boolean>`(t.wamid IN (SELECT vendor_message_id FROM outbound_messages WHERE campaign_id IN ${campaigns})
        OR t.wamid IN (SELECT vendor_message_id FROM rollout_sends WHERE rollout_id IN ${rollouts}))`,
    },
    rollouts: own,
    rollout_audience: ofRollouts,
    rollout_sends: ofRollouts,
    whatsapp_templates: { notOfAMigration: "the business's templates, shared by its migrations" },
    erasure_requests: { notOfAMigration: "a person's erasure, not a migration's" },
    backup_archives: { notOfAMigration: "paths of this machine's archives, which hold the original extracts" },
    webhook_nonces: { notOfAMigration: "the vendors' nonces, which say nothing of anyone" },
  };
}
