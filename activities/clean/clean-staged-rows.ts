import { sql, type Kysely, type Transaction } from 'kysely';
import { Context } from '@temporalio/activity';
import type { Database } from '../../database/schema.ts';
import type { ActivityDependencies } from '../dependencies.ts';
import { normalizePhone, type LineType } from './normalize-phone.ts';

const ROWS_PER_CHUNK = 2000;

export interface CleanResult {
  valid: number;
  rejected: number;
  rejectedByReason: Record<string, number>;
  contacts: number;
  duplicatesMerged: number;
}

/**
 * Normalises every staged row of a migration and merges the valid ones into contacts on E.164. Each chunk
 * commits its contacts, its rejections and the rows' clean state in one transaction, so a retry continues
 * with the rows not yet cleaned and never counts a row twice. Rejected rows stay in staging with a reason.
 */
export function cleanStagedRowsActivity({ db }: Pick<ActivityDependencies, 'db'>) {
  return async function cleanStagedRows(migrationId: string, defaultCountry: string | null): Promise<CleanResult> {
    for (;;) {
      const rows = await db
        .selectFrom('staged_rows')
        .select(['source', 'line_no', 'phone_raw', 'name', 'country'])
        .where('migration_id', '=', migrationId)
        .where('clean_state', 'is', null)
        .orderBy('source')
        .orderBy('line_no')
        .limit(ROWS_PER_CHUNK)
        .execute();
      if (rows.length === 0) break;
      await db.transaction().execute((trx) => cleanChunk(trx, migrationId, defaultCountry, rows));
      Context.current().heartbeat();
    }
    return cleanResult(db, migrationId);
  };
}

type StagedForCleaning = { source: string; line_no: number; phone_raw: string | null; name: string | null; country: string | null };
type NewContact = { e164: string; name: string | null; country: string | null; line_type: LineType };

async function cleanChunk(
  trx: Transaction<Database>,
  migrationId: string,
  defaultCountry: string | null,
  rows: StagedForCleaning[],
): Promise<void> {
  const contactsByNumber = new Map<string, NewContact>();
  const outcomes: { row: StagedForCleaning; e164?: string; reason?: string }[] = [];
  for (const row of rows) {
    const phone = normalizePhone(row.phone_raw, row.country ?? defaultCountry);
    if (!phone.accepted) {
      outcomes.push({ row, reason: phone.reason });
      continue;
    }
    outcomes.push({ row, e164: phone.e164 });
    // The first row with a name gives the contact its name; later rows with the same number only merge into it.
    const known = contactsByNumber.get(phone.e164);
    if (!known) {
      contactsByNumber.set(phone.e164, { e164: phone.e164, name: row.name, country: phone.country, line_type: phone.lineType });
    } else if (!known.name && row.name) {
      known.name = row.name;
    }
  }

  const idsByNumber = new Map<string, string>();
  if (contactsByNumber.size > 0) {
    const saved = await trx
      .insertInto('contacts')
      .values([...contactsByNumber.values()].map((c) => ({ migration_id: migrationId, ...c })))
      .onConflict((oc) =>
        oc.columns(['migration_id', 'e164']).doUpdateSet({ name: sql`coalesce(contacts.name, excluded.name)` }),
      )
      .returning(['id', 'e164'])
      .execute();
    for (const { id, e164 } of saved) idsByNumber.set(e164, String(id));
  }

  const rejections = outcomes.filter((o) => o.reason !== undefined);
  if (rejections.length > 0) {
    await trx
      .insertInto('rejected_rows')
      .values(rejections.map(({ row, reason }) => ({ migration_id: migrationId, source: row.source, line_no: row.line_no, reason: reason! })))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  await sql`
    UPDATE staged_rows AS s
    SET clean_state = u.state, contact_id = u.contact_id
    FROM unnest(${outcomes.map((o) => o.row.source)}::text[], ${outcomes.map((o) => o.row.line_no)}::int[],
                ${outcomes.map((o) => (o.e164 ? 'accepted' : 'rejected'))}::text[],
                ${outcomes.map((o) => (o.e164 ? idsByNumber.get(o.e164)! : null))}::bigint[])
      AS u(source, line_no, state, contact_id)
    WHERE s.migration_id = ${migrationId} AND s.source = u.source AND s.line_no = u.line_no`.execute(trx);
}

async function cleanResult(db: Kysely<Database>, migrationId: string): Promise<CleanResult> {
  const byReason = await db
    .selectFrom('rejected_rows')
    .select(['reason', (e) => e.fn.countAll<number>().as('rows')])
    .where('migration_id', '=', migrationId)
    .groupBy('reason')
    .execute();
  const { valid } = await db
    .selectFrom('staged_rows')
    .select((e) => e.fn.countAll<number>().as('valid'))
    .where('migration_id', '=', migrationId)
    .where('clean_state', '=', 'accepted')
    .executeTakeFirstOrThrow();
  const { contacts } = await db
    .selectFrom('contacts')
    .select((e) => e.fn.countAll<number>().as('contacts'))
    .where('migration_id', '=', migrationId)
    .executeTakeFirstOrThrow();
  const rejectedByReason = Object.fromEntries(byReason.map((r) => [r.reason, Number(r.rows)]));
  return {
    valid: Number(valid),
    rejected: Object.values(rejectedByReason).reduce((sum, n) => sum + n, 0),
    rejectedByReason,
    contacts: Number(contacts),
    duplicatesMerged: Number(valid) - Number(contacts),
  };
}
