import { sql, type Kysely } from 'kysely';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { readWrittenNumber } from '../activities/clean/read-written-number.ts';
import type { Database } from '../database/schema.ts';

/** Rows read at a time when staged rows or subscribers have to be read with the normaliser. */
const PAGE = 5000;

export interface StagedRowKey {
  migrationId: string;
  source: string;
  lineNo: number;
}

/**
 * Everything one person is known by in the product, found from their E.164 number: the keys the inventory's
 * conditions (`personalData`) find their rows with.
 */
export interface PersonKeys {
  e164: string;
  /** The number without `+`: an MSISDN, and WhatsApp's `wa_id`. */
  digits: string;
  /** The national significant number: what a line nobody could read holds of the number, whatever its prefix. */
  nationalDigits: string;
  contactIds: string[];
  /** The staged rows read as this number, and those of the person's Viber accounts. */
  stagedRows: StagedRowKey[];
  viberUserIds: string[];
  waIds: string[];
  /** What vendors know the person by: the number with and without `+`, the Viber user ids, the WhatsApp ids. */
  addresses: string[];
}

/**
 * The keys of the person with this E.164 number. Staged rows are theirs when cleaning read them as the number;
 * rows not cleaned yet, and Viber subscribers' shared phones, are read with the pipeline's own normaliser in the
 * row's country (as cleaning reads a row that has one), never matched on digits, so no one else's row is taken.
 */
export async function resolvePersonKeys(db: Kysely<Database>, e164: string): Promise<PersonKeys> {
  const phone = parsePhoneNumberFromString(e164);
  // The number is not echoed: this runs in activities, whose failures reach the workflow history.
  if (!phone || phone.number !== e164) throw new Error('a person is found by an E.164 number (+ and the digits), and this is not one');
  const digits = e164.slice(1);

  const contacts = await db.selectFrom('contacts').select(['id', 'viber_user_id', 'wa_id']).where('e164', '=', e164).orderBy('id').execute();
  const normalized = await db
    .selectFrom('normalized_rows as n')
    .innerJoin('staged_rows as s', (join) => join.onRef('s.migration_id', '=', 'n.migration_id').onRef('s.source', '=', 'n.source').onRef('s.line_no', '=', 'n.line_no'))
    .select(['s.migration_id', 's.source', 's.line_no', 's.viber_user_id'])
    .where('n.e164', '=', e164)
    .execute();
  const uncleaned = await uncleanedRowsReadAs(db, e164);
  const subscribers = await subscribersWhoShared(db, e164);

  const viberUserIds = distinct([
    ...contacts.map((c) => c.viber_user_id),
    ...normalized.map((r) => r.viber_user_id),
    ...uncleaned.map((r) => r.viber_user_id),
    ...subscribers,
  ]);
  // A Viber account's rows are the person's even where it never shared the number (`needs_phone_share`).
  const ofViberAccounts = viberUserIds.length === 0
    ? []
    : await db.selectFrom('staged_rows').select(['migration_id', 'source', 'line_no']).where('viber_user_id', 'in', viberUserIds).execute();
  const stagedRows = distinctKeys([...normalized, ...uncleaned, ...ofViberAccounts].map((r) => ({ migrationId: r.migration_id, source: r.source, lineNo: r.line_no })));
  const waIds = distinct([digits, ...contacts.map((c) => c.wa_id)]);
  return {
    e164,
    digits,
    nationalDigits: phone.nationalNumber,
    contactIds: contacts.map((c) => String(c.id)),
    stagedRows,
    viberUserIds,
    waIds,
    addresses: distinct([e164, digits, ...viberUserIds, ...waIds]),
  };
}

/** Staged rows cleaning has not reached yet (a migration in progress) that the normaliser reads as the number. */
async function uncleanedRowsReadAs(db: Kysely<Database>, e164: string) {
  const matches: { migration_id: string; source: string; line_no: number; viber_user_id: string | null }[] = [];
  let after = { migration_id: '', source: '', line_no: -1 };
  for (;;) {
    const page = await db
      .selectFrom('staged_rows as s')
      .select(['s.migration_id', 's.source', 's.line_no', 's.phone_raw', 's.country', 's.viber_user_id'])
      .where('s.phone_raw', 'is not', null)
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('normalized_rows as n').select(sql`1`.as('one')).whereRef('n.migration_id', '=', 's.migration_id').whereRef('n.source', '=', 's.source').whereRef('n.line_no', '=', 's.line_no'))),
      )
      .where((e) => e(e.refTuple('s.migration_id', 's.source', 's.line_no'), '>', e.tuple(after.migration_id, after.source, after.line_no)))
      .orderBy('s.migration_id')
      .orderBy('s.source')
      .orderBy('s.line_no')
      .limit(PAGE)
      .execute();
    if (page.length === 0) return matches;
    for (const row of page) if (readsAs(row.phone_raw, row.country, e164)) matches.push(row);
    after = page.at(-1)!;
  }
}

/** The Viber users whose shared phone the normaliser reads as the number. */
async function subscribersWhoShared(db: Kysely<Database>, e164: string): Promise<string[]> {
  const users: string[] = [];
  let after = { bot: '', user_id: '' };
  for (;;) {
    const page = await db
      .selectFrom('viber_subscribers')
      .select(['bot', 'user_id', 'phone', 'country'])
      .where('phone', 'is not', null)
      .where((e) => e(e.refTuple('bot', 'user_id'), '>', e.tuple(after.bot, after.user_id)))
      .orderBy('bot')
      .orderBy('user_id')
      .limit(PAGE)
      .execute();
    if (page.length === 0) return users;
    for (const row of page) if (readsAs(row.phone, row.country, e164)) users.push(row.user_id);
    after = page.at(-1)!;
  }
}

/** Whether a number as a source wrote it, in its row's country, is this E.164 number by the pipeline's reading. */
export function readsAs(raw: string | null, country: string | null, e164: string): boolean {
  return readWrittenNumber(raw, country) === e164;
}

function distinct(values: readonly (string | null)[]): string[] {
  return [...new Set(values.filter((v): v is string => v !== null && v !== ''))];
}

function distinctKeys(keys: readonly StagedRowKey[]): StagedRowKey[] {
  return [...new Map(keys.map((k) => [stagedRowId(k), k])).values()];
}

/** One string per staged row, for sets and maps of them. */
export function stagedRowId({ migrationId, source, lineNo }: StagedRowKey): string {
  return `${migrationId}\u0000${source}\u0000${lineNo}`;
}
