import type { ColumnType, Generated } from 'kysely';

/** One row of a source as read. Never changed or deleted: with its normalised number it is a contact's provenance. */
export interface StagedRowTable {
  migration_id: string;
  source: string;
  line_no: number;
  /** The channel the business reaches this customer on today (sms, viber). */
  channel: string;
  phone_raw: string | null;
  name: string | null;
  country: string | null;
  last_interaction_at: Date | null;
  viber_user_id: string | null;
  raw: ColumnType<Record<string, string>, string, string>;
}

/** What cleaning made of a staged row: its E.164 number and line type, or the reason it has none. */
export interface NormalizedRowTable {
  migration_id: string;
  source: string;
  line_no: number;
  e164: string | null;
  /** The region the number belongs to, which may differ from the row's `country`. */
  number_region: string | null;
  line_type: string | null;
  reject_reason: string | null;
}

/** One person: every staged row with the same E.164 number, merged. */
export interface ContactTable {
  id: ColumnType<string, never, never>;
  migration_id: string;
  e164: string;
  name: string | null;
  country: string | null;
  line_type: string | null;
  channels: string[];
  last_interaction_at: Date | null;
  viber_user_id: string | null;
  /** How many staged rows were merged into this contact. */
  source_rows: number;
  batch_no: number | null;
  reachability: 'on_whatsapp' | 'not_on_whatsapp' | 'unknown' | null;
  wa_id: string | null;
  verified_at: Date | null;
  crm_id: string | null;
  synced_at: Date | null;
}

/**
 * Sources that disagree in a way a merge must not guess at: one Viber user with two phone numbers
 * (`subject` the Viber id), or one phone number claimed by two Viber users (`subject` the number).
 */
export interface MergeConflictTable {
  migration_id: string;
  kind: 'viber_user_with_several_numbers' | 'number_with_several_viber_users';
  subject: string;
  claims: string[];
}

/** The state row of one batch of contacts, so a resumed run starts at the first unfinished one. */
export interface ContactBatchTable {
  migration_id: string;
  batch_no: number;
  contact_count: number;
  verified_at: Date | null;
  synced_at: Date | null;
}

/** A row a vendor refused, with the vendor's reason, kept for a later retry. */
export interface DeadLetterTable {
  id: Generated<number>;
  migration_id: string;
  stage: string;
  contact_id: ColumnType<string, string | number, never>;
  vendor: string;
  reason: string;
  created_at: Generated<Date>;
}

export interface Database {
  staged_rows: StagedRowTable;
  normalized_rows: NormalizedRowTable;
  contacts: ContactTable;
  merge_conflicts: MergeConflictTable;
  contact_batches: ContactBatchTable;
  dead_letters: DeadLetterTable;
}
