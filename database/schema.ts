import type { ColumnType, Generated } from 'kysely';

/** One row of a source file, kept as read; `clean_state` says what cleaning made of it. */
export interface StagedRowTable {
  migration_id: string;
  source: string;
  line_no: number;
  phone_raw: string | null;
  name: string | null;
  country: string | null;
  raw: ColumnType<Record<string, string>, string, string>;
  clean_state: 'accepted' | 'rejected' | null;
  contact_id: ColumnType<string, string | number, string | number> | null;
}

/** Why a staged row did not become a contact; the row itself stays in staging. */
export interface RejectedRowTable {
  migration_id: string;
  source: string;
  line_no: number;
  reason: string;
}

export interface ContactTable {
  id: ColumnType<string, never, never>;
  migration_id: string;
  e164: string;
  name: string | null;
  country: string | null;
  line_type: string | null;
  batch_no: number | null;
  reachability: 'on_whatsapp' | 'not_on_whatsapp' | 'unknown' | null;
  wa_id: string | null;
  verified_at: Date | null;
  crm_id: string | null;
  synced_at: Date | null;
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
  rejected_rows: RejectedRowTable;
  contacts: ContactTable;
  contact_batches: ContactBatchTable;
  dead_letters: DeadLetterTable;
}
