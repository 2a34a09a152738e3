import { sql, type RawBuilder } from 'kysely';
import type { Database } from '../database/schema.ts';
import type { PersonKeys } from './person-keys.ts';

/**
 * What a personal column holds. `phone`: an E.164 number. `phone_raw`: a number as a source wrote it. `address`: what
 * a vendor knows a customer by (an E.164 number, or a Viber user id); `address_list` several of them. `record_json`:
 * a vendor's record or callback as received, which may hold any of these. `cursor`: a reader's cursor, which for
 * the Viber subscribers names the last user read. `record_key`: a staged record's key (a vendor's
 * record id, or a Viber user id with a time). `crm_record`: the id a CRM gave the person's record. `message_id`: a
 * vendor's id of a message sent or received, which for WhatsApp (a `wamid`) holds the customer's number.
 */
export type PersonalDataKind =
  | 'phone'
  | 'phone_raw'
  | 'name'
  | 'text'
  | 'viber_user'
  | 'wa_id'
  | 'address'
  | 'address_list'
  | 'record_json'
  | 'cursor'
  | 'record_key'
  | 'crm_record'
  | 'message_id';

export type TableName = keyof Database & string;

export interface PersonalColumn {
  column: string;
  kind: PersonalDataKind;
}

/** A table that holds personal data: which columns, and how one person's rows are found. */
export interface PersonalTable {
  table: TableName;
  personal: readonly PersonalColumn[];
  /** A condition on the table's own columns that holds for exactly the person's rows. */
  rowsOf(keys: PersonKeys): RawBuilder<boolean>;
  /**
   * What erasure does with those rows: `delete` them; `clear` (set the personal columns to null) where the row is
   * the product's own state (a reader's cursor) and is kept without the person; `clear-when-done` where the erasure
   * itself needs the data until it completes (the request's number), which completing it clears.
   */
  erasure: 'delete' | 'clear' | 'clear-when-done';
}

/** A table with nothing personal in it, and why, in a word or two. */
export interface NotPersonalTable {
  table: TableName;
  notPersonal: string;
}

export type PersonalDataPlace = PersonalTable | NotPersonalTable;

/** One table's entry, its column names checked against the table's. */
type PlaceOf<T extends TableName> =
  | (Omit<PersonalTable, 'table' | 'personal'> & { table: T; personal: readonly { column: keyof Database[T] & string; kind: PersonalDataKind }[] })
  | { table: T; notPersonal: string };

export function isPersonal(place: PersonalDataPlace): place is PersonalTable {
  return 'personal' in place;
}

const contactIds = (keys: PersonKeys) => sql`${keys.contactIds}::bigint[]`;
const addresses = (keys: PersonKeys) => sql`${keys.addresses}::text[]`;
const viberUserIds = (keys: PersonKeys) => sql`${keys.viberUserIds}::text[]`;

/** The person's staged rows by their key: the rows their number was read from, and their Viber account's rows. */
function stagedRowKeys(keys: PersonKeys) {
  return sql`(migration_id, source, line_no) IN (SELECT * FROM unnest(
    ${keys.stagedRows.map((r) => r.migrationId)}::text[], ${keys.stagedRows.map((r) => r.source)}::text[], ${keys.stagedRows.map((r) => r.lineNo)}::int[]))`;
}

// Arabic-Indic and Persian digits read as the ASCII ones, as the normaliser reads them.
const EASTERN_DIGITS = '٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹';
const ASCII_DIGITS = '01234567890123456789';

/**
 * Where the product keeps personal data: every table of the database, each either personal (its columns and how a
 * person's rows are found from the person's keys, see `resolvePersonKeys`) or not, with the reason. Erasure, the
 * person export and anonymisation all read this one list; the type requires every table of `Database`.
 */
export const personalData: { readonly [T in TableName]: PlaceOf<T> } = {
  staged_rows: {
    table: 'staged_rows',
    personal: [
      { column: 'phone_raw', kind: 'phone_raw' },
      { column: 'name', kind: 'name' },
      { column: 'viber_user_id', kind: 'viber_user' },
      { column: 'raw', kind: 'record_json' },
      { column: 'record_key', kind: 'record_key' },
    ],
    rowsOf: (keys) => sql<boolean>`(${stagedRowKeys(keys)} OR viber_user_id = ANY(${viberUserIds(keys)}))`,
    erasure: 'delete',
  },
  normalized_rows: {
    table: 'normalized_rows',
    personal: [{ column: 'e164', kind: 'phone' }],
    rowsOf: (keys) => sql<boolean>`(e164 = ${keys.e164} OR ${stagedRowKeys(keys)})`,
    erasure: 'delete',
  },
  contacts: {
    table: 'contacts',
    personal: [
      { column: 'e164', kind: 'phone' },
      { column: 'name', kind: 'name' },
      { column: 'viber_user_id', kind: 'viber_user' },
      { column: 'wa_id', kind: 'wa_id' },
      { column: 'reachability_evidence', kind: 'record_json' },
    ],
    rowsOf: (keys) => sql<boolean>`(id = ANY(${contactIds(keys)}) OR e164 = ${keys.e164})`,
    erasure: 'delete',
  },
  merge_conflicts: {
    table: 'merge_conflicts',
    personal: [
      { column: 'subject', kind: 'address' },
      { column: 'claims', kind: 'address_list' },
    ],
    rowsOf: (keys) => sql<boolean>`(subject = ANY(${addresses(keys)}) OR claims && ${addresses(keys)})`,
    erasure: 'delete',
  },
  contact_batches: { table: 'contact_batches', notPersonal: 'counts' },
  dead_letters: {
    table: 'dead_letters',
    // A vendor's reason may quote the record it refused.
    personal: [{ column: 'reason', kind: 'text' }],
    rowsOf: (keys) => sql<boolean>`contact_id = ANY(${contactIds(keys)})`,
    erasure: 'delete',
  },
  crm_sync_state: {
    table: 'crm_sync_state',
    personal: [{ column: 'record_id', kind: 'crm_record' }],
    rowsOf: (keys) => sql<boolean>`contact_id = ANY(${contactIds(keys)})`,
    erasure: 'delete',
  },
  crm_sync_slices: { table: 'crm_sync_slices', notPersonal: 'counts' },
  extract_checkpoints: {
    table: 'extract_checkpoints',
    personal: [{ column: 'cursor', kind: 'cursor' }],
    // A cleared cursor restarts its pass from the start; records are keyed, so nothing is staged twice.
    rowsOf: (keys) => sql<boolean>`cursor->>'afterUserId' = ANY(${viberUserIds(keys)})`,
    erasure: 'clear',
  },
  quarantined_rows: {
    table: 'quarantined_rows',
    personal: [{ column: 'content', kind: 'text' }],
    // A line that could not be read as a row has no number to match: its digits are searched for the national number.
    rowsOf: (keys) =>
      sql<boolean>`strpos(regexp_replace(translate(content, ${EASTERN_DIGITS}, ${ASCII_DIGITS}), '[^0-9]', '', 'g'), ${keys.nationalDigits}) > 0`,
    erasure: 'delete',
  },
  viber_subscribers: {
    table: 'viber_subscribers',
    personal: [
      { column: 'user_id', kind: 'viber_user' },
      { column: 'name', kind: 'name' },
      { column: 'phone', kind: 'phone_raw' },
    ],
    rowsOf: (keys) => sql<boolean>`user_id = ANY(${viberUserIds(keys)})`,
    erasure: 'delete',
  },
  viber_events: {
    table: 'viber_events',
    personal: [
      { column: 'user_id', kind: 'viber_user' },
      { column: 'message_token', kind: 'message_id' },
      { column: 'body', kind: 'record_json' },
    ],
    rowsOf: (keys) => sql<boolean>`user_id = ANY(${viberUserIds(keys)})`,
    erasure: 'delete',
  },
  viber_user_details_calls: {
    table: 'viber_user_details_calls',
    personal: [{ column: 'user_id', kind: 'viber_user' }],
    rowsOf: (keys) => sql<boolean>`user_id = ANY(${viberUserIds(keys)})`,
    erasure: 'delete',
  },
  carrier_lookups: {
    table: 'carrier_lookups',
    personal: [{ column: 'answer', kind: 'record_json' }],
    rowsOf: (keys) => sql<boolean>`contact_id = ANY(${contactIds(keys)})`,
    erasure: 'delete',
  },
  campaigns: { table: 'campaigns', notPersonal: 'configuration' },
  campaign_recipients: {
    table: 'campaign_recipients',
    personal: [
      { column: 'e164', kind: 'phone' },
      { column: 'address', kind: 'address' },
    ],
    rowsOf: (keys) => sql<boolean>`(contact_id = ANY(${contactIds(keys)}) OR e164 = ${keys.e164} OR address = ANY(${addresses(keys)}))`,
    erasure: 'delete',
  },
  outbound_messages: {
    table: 'outbound_messages',
    personal: [
      { column: 'address', kind: 'address' },
      { column: 'vendor_message_id', kind: 'message_id' },
      { column: 'error', kind: 'text' },
    ],
    rowsOf: (keys) => sql<boolean>`(contact_id = ANY(${contactIds(keys)}) OR address = ANY(${addresses(keys)}))`,
    erasure: 'delete',
  },
  inbound_messages: {
    table: 'inbound_messages',
    personal: [
      { column: 'sender', kind: 'address' },
      { column: 'provider_message_id', kind: 'message_id' },
      { column: 'text', kind: 'text' },
    ],
    rowsOf: (keys) => sql<boolean>`(contact_id = ANY(${contactIds(keys)}) OR sender = ANY(${addresses(keys)}))`,
    erasure: 'delete',
  },
  consent_ledger: {
    table: 'consent_ledger',
    personal: [
      { column: 'e164', kind: 'phone' },
      { column: 'address', kind: 'address' },
      { column: 'provider_message_id', kind: 'message_id' },
      { column: 'text', kind: 'text' },
    ],
    rowsOf: (keys) => sql<boolean>`(e164 = ${keys.e164} OR contact_id = ANY(${contactIds(keys)}) OR address = ANY(${addresses(keys)}))`,
    erasure: 'delete',
  },
  consent_states: {
    table: 'consent_states',
    personal: [{ column: 'e164', kind: 'phone' }],
    rowsOf: (keys) => sql<boolean>`e164 = ${keys.e164}`,
    erasure: 'delete',
  },
  whatsapp_status_events: {
    table: 'whatsapp_status_events',
    personal: [
      { column: 'wamid', kind: 'message_id' },
      { column: 'wa_id', kind: 'wa_id' },
    ],
    rowsOf: (keys) => sql<boolean>`wa_id = ANY(${keys.waIds}::text[])`,
    erasure: 'delete',
  },
  rollouts: { table: 'rollouts', notPersonal: 'configuration' },
  rollout_audience: {
    table: 'rollout_audience',
    personal: [
      { column: 'e164', kind: 'phone' },
      { column: 'old_address', kind: 'address' },
    ],
    rowsOf: (keys) => sql<boolean>`(contact_id = ANY(${contactIds(keys)}) OR e164 = ${keys.e164} OR old_address = ANY(${addresses(keys)}))`,
    erasure: 'delete',
  },
  rollout_sends: {
    table: 'rollout_sends',
    personal: [
      { column: 'address', kind: 'address' },
      { column: 'vendor_message_id', kind: 'message_id' },
      { column: 'error', kind: 'text' },
    ],
    rowsOf: (keys) => sql<boolean>`(contact_id = ANY(${contactIds(keys)}) OR address = ANY(${addresses(keys)}))`,
    erasure: 'delete',
  },
  whatsapp_templates: { table: 'whatsapp_templates', notPersonal: 'templates' },
  erasure_requests: {
    table: 'erasure_requests',
    // The number waits here only until its erasure is done; the keyed hash that stays is the evidence.
    personal: [{ column: 'e164', kind: 'phone' }],
    rowsOf: (keys) => sql<boolean>`e164 = ${keys.e164}`,
    erasure: 'clear-when-done',
  },
  backup_archives: { table: 'backup_archives', notPersonal: 'file places' },
  webhook_nonces: { table: 'webhook_nonces', notPersonal: 'random nonces of signed webhooks' },
};

/** The inventory as a list, in the order of `Database`. */
export const personalDataPlaces: readonly PersonalDataPlace[] = Object.values(personalData);
