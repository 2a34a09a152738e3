import { sql, type Kysely } from 'kysely';
import type { Database } from '../../database/schema.ts';
import type { CrmName } from '../../connectors/crm-contact.ts';

/** The version of contact `c`: its own, or its number's consent decision's when that is later. */
const contactVersion = sql`greatest(c.crm_version, coalesce((SELECT cs.crm_version FROM consent_states cs WHERE cs.e164 = c.e164), 0))`;

/** Long enough for a Bulk API job to finish; a retried attempt takes its own leases back at once (same token). */
const LEASE = '15 minutes';

export interface DueContactsScope {
  crm: CrmName;
  account: string;
  /**
   * One migration's contacts, or `live`: every contact this CRM has already received, whatever its migration
   * (what a webhook changes between scheduled runs).
   */
  contacts: { migrationId: string } | 'live';
}

/**
 * Leases up to `limit` contacts whose latest version this CRM has not received and that no other writer holds,
 * above `afterId` in id order (a writer moving through a large migration starts where its last lease ended). Row
 * locks skip what a concurrent claimer is taking, and the lease keeps the contact out of every other claim until
 * its write is recorded: two writes of one contact never race, so the later one carries the later state.
 */
export async function leaseDueContacts(db: Kysely<Database>, scope: DueContactsScope, token: string, limit: number, afterId = '0'): Promise<LeasedContact[]> {
  const { rows } = await sql<{ contact_id: string; synced_fingerprint: string | null }>`
    WITH due AS (${dueContacts(scope, token, afterId)} ORDER BY c.id LIMIT ${limit} FOR UPDATE OF c SKIP LOCKED)
    INSERT INTO crm_sync_state (crm, account, contact_id, lease_token, lease_until)
    SELECT ${scope.crm}, ${scope.account}, id, ${token}, now() + ${LEASE}::interval FROM due
    ON CONFLICT (contact_id, crm, account) DO UPDATE SET lease_token = excluded.lease_token, lease_until = excluded.lease_until
      -- Checked again on the state as it is now: a write recorded, or a lease taken, since this statement began counts.
      WHERE (crm_sync_state.lease_until IS NULL OR crm_sync_state.lease_until < now() OR crm_sync_state.lease_token = ${token})
        AND crm_sync_state.synced_version < (SELECT ${contactVersion} FROM contacts c WHERE c.id = excluded.contact_id)
    RETURNING contact_id, synced_fingerprint`.execute(db);
  return rows.map((row) => ({ contactId: String(row.contact_id), syncedFingerprint: row.synced_fingerprint }));
}

export interface LeasedContact {
  contactId: string;
  /** The fields the CRM last received, hashed; null when it has received none. */
  syncedFingerprint: string | null;
}

/** How many contacts in scope this CRM has still to receive, leased or not. */
export async function countDueContacts(db: Kysely<Database>, scope: DueContactsScope): Promise<number> {
  const { rows } = await sql<{ due: number }>`SELECT count(*)::int AS due FROM (${dueContacts(scope, undefined, '0')}) AS due`.execute(db);
  return Number(rows[0]?.due ?? 0);
}

/**
 * The due contacts in scope, leased ones left out unless `token` holds them (all of them when counting). A
 * migration's contacts are walked in id order with one state lookup each (a correlated subquery, which the planner
 * cannot turn into a join over every state row), so a lease costs its own size however far the sync has come.
 */
function dueContacts(scope: DueContactsScope, token: string | undefined, afterId: string) {
  const leasedElsewhere = token === undefined ? sql`false` : sql`(s.lease_until IS NOT NULL AND s.lease_until >= now() AND s.lease_token IS DISTINCT FROM ${token})`;
  if (scope.contacts === 'live') {
    return sql`
      SELECT c.id FROM crm_sync_state s JOIN contacts c ON c.id = s.contact_id
      WHERE s.crm = ${scope.crm} AND s.account = ${scope.account} AND s.synced_at IS NOT NULL AND s.synced_version < ${contactVersion}
        AND NOT ${leasedElsewhere} AND c.id > ${afterId}`;
  }
  return sql`
    SELECT c.id FROM contacts c
    WHERE c.migration_id = ${scope.contacts.migrationId} AND c.id > ${afterId}
      AND NOT coalesce((SELECT s.synced_version >= ${contactVersion} OR ${leasedElsewhere} FROM crm_sync_state s
                        WHERE s.contact_id = c.id AND s.crm = ${scope.crm} AND s.account = ${scope.account}), false)`;
}

/** Gives leases back unwritten, for a write that cannot go on in this activity (the CRM's allocation is spent). */
export async function releaseLeases(db: Kysely<Database>, scope: DueContactsScope, token: string, contactIds: readonly string[]): Promise<void> {
  if (contactIds.length === 0) return;
  await db
    .updateTable('crm_sync_state')
    .set({ lease_token: null, lease_until: null })
    .where('crm', '=', scope.crm)
    .where('account', '=', scope.account)
    .where('lease_token', '=', token)
    .where(sql<boolean>`contact_id = ANY(${contactIds}::bigint[])`)
    .execute();
}
