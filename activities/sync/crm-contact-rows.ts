import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database, WhatsAppState } from '../../database/schema.ts';
import type { CrmContact, SourceChannel, WhatsAppStatus } from '../../connectors/crm-contact.ts';
import type { LeasedContact } from './crm-leases.ts';


/** A leased contact as the CRM will see it, with the version it is and the fingerprint of what the CRM last got. */
export interface CrmContactRow {
  contact: CrmContact;
  migrationId: string;
  version: string;
  fingerprint: string;
  syncedFingerprint: string | null;
}

/** Reads the contacts' current state in one statement, after their lease, so no write carries an older state. */
export async function readCrmContactRows(db: Kysely<Database>, leased: readonly LeasedContact[]): Promise<CrmContactRow[]> {
  if (leased.length === 0) return [];
  const syncedFingerprints = new Map(leased.map((l) => [l.contactId, l.syncedFingerprint]));
  const rows = await db
    .selectFrom('contacts as c')
    .leftJoin('consent_states as consent', 'consent.e164', 'c.e164')
    .select([
      'c.id',
      'c.migration_id',
      'c.e164',
      'c.name',
      'c.country',
      'c.channels',
      'c.whatsapp_state',
      'c.wa_id',
      sql<string>`greatest(c.crm_version, coalesce(consent.crm_version, 0))`.as('version'),
      'consent.decision',
      'consent.event_at',
    ])
    .where(sql<boolean>`c.id = ANY(${leased.map((l) => l.contactId)}::bigint[])`)
    .orderBy('c.id')
    .execute();
  return rows.map((row) => {
    const contact: CrmContact = {
      contactId: String(row.id),
      e164: row.e164,
      name: row.name,
      country: row.country,
      whatsAppStatus: whatsAppStatusOf(row.whatsapp_state, row.wa_id),
      waId: row.wa_id,
      consent: row.decision ?? 'unknown',
      consentAt: row.event_at === null ? null : new Date(row.event_at).toISOString(),
      sourceChannels: row.channels.filter((channel): channel is SourceChannel => channel === 'sms' || channel === 'viber').sort(),
    };
    return { contact, migrationId: row.migration_id, version: String(row.version), fingerprint: fingerprintOf(contact), syncedFingerprint: syncedFingerprints.get(String(row.id)) ?? null };
  });
}

/** Delivery proves it either way; without a delivery, only a contacts check's yes (which gave a `wa_id`) counts. */
function whatsAppStatusOf(state: WhatsAppState | null, waId: string | null): WhatsAppStatus {
  if (state === 'active' || (state === null && waId !== null)) return 'on_whatsapp';
  return state === 'not_on_whatsapp' ? 'not_on_whatsapp' : 'unknown';
}

function fingerprintOf({ contactId: _ours, ...fields }: CrmContact): string {
  return createHash('sha256').update(JSON.stringify(fields)).digest('base64url');
}
