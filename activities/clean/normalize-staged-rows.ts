import { sql, type Kysely } from 'kysely';
import { Context } from '@temporalio/activity';
import type { Database } from '../../database/schema.ts';
import type { ActivityDependencies } from '../dependencies.ts';
import { contactRegion } from './contact-region.ts';
import { normalizePhone, type NormalizedPhone } from './normalize-phone.ts';

const ROWS_PER_CHUNK = 5000;

type StagedRowKey = { source: string; line_no: number };

export interface NormalizeResult {
  valid: number;
  rejected: number;
}

/**
 * Gives every staged row of a migration its E.164 number and line type, or the reason it has none. Staging is
 * walked in key order a chunk at a time, so memory stays flat at any size; a retry continues after the last
 * chunk it reported, and a row normalised twice is stored once.
 */
export function normalizeStagedRowsActivity({ db }: Pick<ActivityDependencies, 'db'>) {
  return async function normalizeStagedRows(migrationId: string, defaultCountries: Record<string, string>): Promise<NormalizeResult> {
    const context = Context.current();
    // Staging was just filled: without fresh statistics the planner takes a page as a few rows and sorts all the
    // rest for each one, which grows with the square of the base; with them it walks the primary key in order.
    await sql`ANALYZE staged_rows`.execute(db);
    let after = (context.info.heartbeatDetails as StagedRowKey | undefined) ?? { source: '', line_no: 0 };
    for (;;) {
      const rows = await db
        .selectFrom('staged_rows')
        .select(['source', 'line_no', 'phone_raw', 'country', 'viber_user_id'])
        .where('migration_id', '=', migrationId)
        .where((e) => e(e.refTuple('source', 'line_no'), '>', e.tuple(after.source, after.line_no)))
        .orderBy('source')
        .orderBy('line_no')
        .limit(ROWS_PER_CHUNK)
        .execute();
      if (rows.length === 0) break;
      const phones = rows.map((row) => normalizedPhone(row, defaultCountries[row.source] ?? null));
      await sql`
        INSERT INTO normalized_rows (migration_id, source, line_no, e164, number_region, line_type, reject_reason)
        SELECT ${migrationId}, * FROM unnest(
          ${rows.map((r) => r.source)}::text[], ${rows.map((r) => r.line_no)}::int[],
          ${phones.map((p) => (p.accepted ? p.e164 : null))}::text[],
          ${phones.map((p) => (p.accepted ? p.country : null))}::text[],
          ${phones.map((p) => (p.accepted ? p.lineType : null))}::text[],
          ${phones.map((p) => (p.accepted ? null : p.reason))}::text[])
        ON CONFLICT DO NOTHING`.execute(db);
      const last = rows.at(-1)!;
      after = { source: last.source, line_no: last.line_no };
      context.heartbeat(after);
    }
    return cleaningCounts(db, migrationId);
  };
}

/** The migration's normalised rows with a number and without one; the migration report counts them so too. */
export async function cleaningCounts(db: Kysely<Database>, migrationId: string): Promise<NormalizeResult> {
  const { valid, rejected } = await db
    .selectFrom('normalized_rows')
    .select((e) => [e.fn.count<number>('e164').as('valid'), e.fn.count<number>('reject_reason').as('rejected')])
    .where('migration_id', '=', migrationId)
    .executeTakeFirstOrThrow();
  return { valid: Number(valid), rejected: Number(rejected) };
}

/** A Viber subscriber without a number is a customer all the same: rejected as one who still has to share it. */
function normalizedPhone(row: { phone_raw: string | null; country: string | null; viber_user_id: string | null }, defaultCountry: string | null): NormalizedPhone {
  if (row.phone_raw === null && row.viber_user_id !== null) return { accepted: false, reason: 'needs_phone_share' };
  return normalizePhone(row.phone_raw, contactRegion({ rowCountry: row.country, defaultCountry }));
}
