import { sql, type Kysely } from 'kysely';
import type { Database } from '../../database/schema.ts';
import type { CrmWriteOutcome } from '../../connectors/crm-contact.ts';
import type { CrmContactRow } from './crm-contact-rows.ts';
import type { DueContactsScope } from './crm-leases.ts';

export interface CrmWriteTally {
  written: number;
  /** Leased but already as the CRM has them: not sent. */
  unchanged: number;
  failed: number;
  retryLater: number;
}

/** A writer of one slice: its leases carry `token`, its counts add up under `slice` whichever attempt wrote them. */
export interface CrmWriter {
  slice: string;
  token: string;
}

/**
 * Stores what the CRM did with each leased contact, in one transaction, and gives the leases back. A written
 * contact records the version and fields it received (and closes its open dead letter); a refused one records the
 * version too, so it is not sent again until it changes or `dlq retry` asks, and its dead letter keeps the
 * vendor's reason; a contact to retry later only loses its lease and stays due. The slice's counts move in the
 * same transaction, so they are never lost with a failed attempt, nor counted twice by its retry.
 */
export async function recordCrmWrite(
  db: Kysely<Database>,
  { crm, account }: Pick<DueContactsScope, 'crm' | 'account'>,
  { slice, token }: CrmWriter,
  rows: readonly CrmContactRow[],
  outcome: CrmWriteOutcome & { unchanged: readonly string[] },
): Promise<CrmWriteTally> {
  const rowById = new Map(rows.map((row) => [row.contact.contactId, row]));
  const row = (contactId: string) => {
    const found = rowById.get(contactId);
    if (!found) throw new Error(`${crm} answered for contact ${contactId}, which this write did not send`);
    return found;
  };
  const synced: { row: CrmContactRow; recordId: string | null; failed: boolean }[] = [
    ...outcome.written.map((w) => ({ row: row(w.contactId), recordId: w.recordId, failed: false })),
    ...outcome.unchanged.map((contactId) => ({ row: row(contactId), recordId: null, failed: false })),
    ...outcome.failed.map((f) => ({ row: row(f.contactId), recordId: null, failed: true })),
  ];
  const tally = { written: outcome.written.length, unchanged: outcome.unchanged.length, failed: outcome.failed.length };
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('crm_sync_slices')
      .values({ slice, ...tally })
      .onConflict((oc) =>
        oc.column('slice').doUpdateSet({
          written: sql`crm_sync_slices.written + excluded.written`,
          unchanged: sql`crm_sync_slices.unchanged + excluded.unchanged`,
          failed: sql`crm_sync_slices.failed + excluded.failed`,
        }),
      )
      .execute();
    if (synced.length > 0) {
      // Every row is there (the lease inserted it): the upsert finds each one through the primary key, where a join
      // would be planned from statistics that have not seen this lease's token and would rescan the arrays per row.
      await sql`
        INSERT INTO crm_sync_state (crm, account, contact_id, synced_version, record_id, synced_fingerprint, synced_at)
        SELECT ${crm}, ${account}, u.contact_id, u.version, u.record_id, u.fingerprint, now()
        FROM unnest(${synced.map((s) => s.row.contact.contactId)}::bigint[], ${synced.map((s) => s.row.version)}::bigint[],
                    ${synced.map((s) => s.recordId)}::text[], ${synced.map((s) => (s.failed ? null : s.row.fingerprint))}::text[])
          AS u(contact_id, version, record_id, fingerprint)
        ON CONFLICT (contact_id, crm, account) DO UPDATE
        SET synced_version = greatest(crm_sync_state.synced_version, excluded.synced_version),
            record_id = coalesce(excluded.record_id, crm_sync_state.record_id),
            -- A refused write leaves the fields the CRM last received as they were.
            synced_fingerprint = coalesce(excluded.synced_fingerprint, crm_sync_state.synced_fingerprint),
            synced_at = excluded.synced_at, lease_token = NULL, lease_until = NULL
        WHERE crm_sync_state.lease_token = ${token}`.execute(trx);
    }
    const retry = outcome.retryLater.map((r) => r.contactId);
    if (retry.length > 0) {
      await trx
        .updateTable('crm_sync_state')
        .set({ lease_token: null, lease_until: null })
        .where('crm', '=', crm)
        .where('account', '=', account)
        .where('contact_id', 'in', retry)
        .where('lease_token', '=', token)
        .execute();
    }
    const delivered = [...outcome.written.map((w) => w.contactId), ...outcome.unchanged];
    if (delivered.length > 0) {
      await trx
        .updateTable('dead_letters')
        .set({ resolved_at: new Date() })
        .where('stage', '=', 'sync')
        .where('vendor', '=', crm)
        .where('contact_id', 'in', delivered)
        .where('resolved_at', 'is', null)
        .execute();
    }
    if (outcome.failed.length > 0) {
      await trx
        .insertInto('dead_letters')
        .values(outcome.failed.map((f) => ({ migration_id: row(f.contactId).migrationId, stage: 'sync', contact_id: f.contactId, vendor: crm, reason: f.reason })))
        .onConflict((oc) =>
          oc.columns(['migration_id', 'stage', 'vendor', 'contact_id']).doUpdateSet((eb) => ({
            reason: eb.ref('excluded.reason'),
            created_at: sql`now()`,
            resolved_at: null,
          })),
        )
        .execute();
    }
  });
  return { ...tally, retryLater: outcome.retryLater.length };
}
