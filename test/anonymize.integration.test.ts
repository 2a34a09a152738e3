import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { measureDataQuality } from '../activities/clean/data-quality.ts';
import { classifyReply } from '../activities/opt-in/reply-intent.ts';
import { anonymizeMigration } from '../anonymize/anonymize-migration.ts';
import { migrationRows } from '../anonymize/migration-rows.ts';
import { anonymizeCommand } from '../cli/commands/anonymize.ts';
import { exportMigration } from '../cli/export-migration.ts';
import { startOrAttach } from '../cli/follow-migration.ts';
import { openDatabase } from '../database/connect.ts';
import type { Database } from '../database/schema.ts';
import { ARABIC_MARKETS, ARABIC_NAMES, LATIN_NAMES, writeCustomerBase } from '../demo/customer-base.ts';
import { generateOptInAudience } from '../demo/opt-in-audience.ts';
import { generateSourceHistories, VONAGE_ACCOUNT } from '../demo/source-histories.ts';
import type { TableName } from '../privacy/personal-data.ts';
import type { MigrationInput } from '../workflows/migration-input.ts';
import { openSandbox, type Sandbox } from './support/sandbox.ts';
import { until } from './support/until.ts';

const DAY = 86_400_000;
const from = new Date(Date.UTC(2026, 9, 1));
const period = { from: from.toISOString(), to: new Date(from.getTime() + 30 * DAY).toISOString() };
const EASTERN_DIGIT = /[\u0660-\u0669\u06F0-\u06F9]/g;
/** A line of the CRM export with a field too many: quarantined, number, name and all. */
const QUARANTINED_NUMBER = '+971567770042';
const QUARANTINED_NAME = 'خديجة القحطاني';
/** A second number claimed by one of the Viber subscribers: a merge conflict naming both. */
const CONFLICTING_NUMBER = '+971567770043';

/** Every table's rows of the migration, as `to_jsonb` text. */
async function rowsOf(db: Kysely<Database>, migrationId: string): Promise<Map<TableName, string[]>> {
  const tables = new Map<TableName, string[]>();
  for (const [table, scope] of Object.entries(migrationRows(migrationId)) as [TableName, ReturnType<typeof migrationRows>[TableName]][]) {
    if ('notOfAMigration' in scope) continue;
    const { rows } = await sql<{ row: string }>`SELECT to_jsonb(t)::text AS row FROM ${sql.table(table)} AS t WHERE ${scope.where}`.execute(db);
    tables.set(table, rows.map((r) => r.row));
  }
  return tables;
}

/** Every string in a row, digits folded to ASCII and the marks people put between them dropped. */
function stringsOf(row: string): string[] {
  const strings: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === 'string') strings.push(value, value.replace(EASTERN_DIGIT, (d) => String(d.charCodeAt(0) & 0xf)).replace(/[\s().-]/g, ''));
    else if (Array.isArray(value)) value.forEach(walk);
    else if (typeof value === 'object' && value !== null) Object.values(value).forEach(walk);
  };
  walk(JSON.parse(row));
  return strings;
}

/** Each trace found in any row of any table of the database, as `table: kind trace`. */
async function tracesIn(db: Kysely<Database>, traces: Record<string, string[]>): Promise<string[]> {
  const { rows: tables } = await sql<{ table_name: string }>`
    SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name NOT LIKE 'kysely_%'`.execute(db);
  const found: string[] = [];
  for (const { table_name } of tables) {
    const { rows } = await sql<{ row: string }>`SELECT to_jsonb(t)::text AS row FROM ${sql.table(table_name)} AS t`.execute(db);
    for (const { row } of rows) {
      for (const value of stringsOf(row)) {
        for (const [kind, wanted] of Object.entries(traces)) {
          for (const trace of wanted) if (value.includes(trace)) found.push(`${table_name}: ${kind} ${trace} in "${value}"`);
        }
      }
    }
  }
  return found;
}

describe('an anonymised copy of a migration that ran an opt-in campaign', () => {
  let sandbox: Sandbox;
  let input: MigrationInput;
  let copy: Kysely<Database>;
  let admin: pg.Client;
  const printed: string[] = [];
  const databases: string[] = [];
  const urlOf = (database: string) => Object.assign(new URL(sandbox.databaseUrl), { pathname: `/${database}` }).toString();
  const newDatabase = async () => {
    const name = `channelshift_anon_${randomUUID().slice(0, 8)}`;
    await admin.query(`CREATE DATABASE ${name}`);
    databases.push(name);
    return name;
  };

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'anonymize-'));
    const audience = await generateOptInAudience(dir, { sms: 150, viber: 60 }, { seed: 77, maxDelayMs: 1500, markets: [...ARABIC_MARKETS, 'GB', 'DE', 'US'] });
    const histories = generateSourceHistories({ vonageRecords: 150, plivoMessages: 40, viberSubscribers: 30, from, days: 30, seed: 78 });
    sandbox = await openSandbox({
      histories: { vonage: histories.vonage, plivo: histories.plivo, viber: [...audience.viberUsers, ...histories.viber] },
      customers: audience.customers,
      plivoWindowMs: 1000,
      sendRates: { vonageSms: 1500, plivoSms: 1500, whatsApp: 1000 },
      whatsAppMessagingLimit: 100_000,
    });
    await sandbox.emulators.viber.deliverCallbacks(`${sandbox.webhooks.url}/webhooks/viber`, { users: histories.viber });
    const customerBase = join(dir, 'customer-base.csv');
    await writeCustomerBase(customerBase, 300, 79);
    appendFileSync(customerBase, `C9000001,${QUARANTINED_NAME},056 777 0042,AE,2025-01-01,call after 5\n`);
    const [conflicted] = audience.viberUsers;
    appendFileSync(join(dir, 'viber-subscribers.csv'), `${CONFLICTING_NUMBER},${conflicted!.name},AE,${conflicted!.id}\n`);
    input = {
      migrationId: `anon-${randomUUID().slice(0, 8)}`,
      sources: [
        ...audience.sources,
        { kind: 'csv', name: 'crm-export', path: customerBase, columns: { phone: 'phone', name: 'name', country: 'country' } },
        { kind: 'vonage', name: 'vonage', accountId: VONAGE_ACCOUNT, ...period },
        { kind: 'plivo', name: 'plivo', ...period },
        { kind: 'viber', name: 'viber', bot: sandbox.viberBot },
      ],
      verify: { carrierLookup: 'plivo' },
      optIn: { window: '25s', reminderAfter: '10s', quietHours: null, activationTimeout: '15s', unconfirmedResendAfter: '30s' },
    };
    const stop = await sandbox.startWorker();
    await (await startOrAttach(sandbox.client, sandbox.temporal.taskQueue, input)).result();
    await stop();
    await sandbox.emulators.settled();

    admin = new pg.Client({ connectionString: sandbox.databaseUrl });
    await admin.connect();
    const target = urlOf(await newDatabase());
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
    vi.stubEnv('DATABASE_URL', sandbox.databaseUrl);
    try {
      await anonymizeCommand([input.migrationId, '--to', target]);
    } finally {
      log.mockRestore();
      vi.unstubAllEnvs();
    }
    console.info(printed.join('\n'));
    copy = await openDatabase({ kind: 'postgres', url: target });
  }, 600_000);

  afterAll(async () => {
    await copy?.destroy();
    for (const database of databases) {
      // A closed pool's connections end a moment later: dropping under them would kill them mid-goodbye.
      const connected = async () => (await admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [database])).rows[0].n > 0;
      await until(async () => !(await connected()), `the connections to ${database} to close`, 10_000);
      await admin.query(`DROP DATABASE IF EXISTS ${database}`);
    }
    await admin?.end();
    await sandbox.close();
  });

  it('holds as many rows in every table as the original', async () => {
    const [original, copied] = await Promise.all([rowsOf(sandbox.db, input.migrationId), rowsOf(copy, input.migrationId)]);
    const counts = (tables: Map<TableName, string[]>) => Object.fromEntries([...tables].map(([table, rows]) => [table, rows.length]));
    expect(counts(copied)).toEqual(counts(original));
    // The command said so, table by table.
    const said = Object.fromEntries(printed.map((line) => /^ {2}(\w+) +([\d,]+)$/.exec(line)).filter((m) => m !== null).map((m) => [m[1], Number(m[2]!.replaceAll(',', ''))]));
    expect(said).toEqual(counts(original));
    // Every part of the run is there to be compared.
    for (const table of ['staged_rows', 'normalized_rows', 'contacts', 'merge_conflicts', 'quarantined_rows', 'viber_subscribers', 'viber_events', 'carrier_lookups', 'campaign_recipients', 'outbound_messages', 'inbound_messages', 'consent_ledger', 'consent_states', 'whatsapp_status_events'] as const) {
      expect(original.get(table)!.length, table).toBeGreaterThan(0);
    }
  });

  it('holds no original number in any form, no name, no Viber id and no message text, in any table', async () => {
    const original = await rowsOf(sandbox.db, input.migrationId);
    const numbers = new Set<string>([QUARANTINED_NUMBER.slice(1), CONFLICTING_NUMBER.slice(1)]);
    const viberIds = new Set<string>();
    const texts = new Set<string>();
    const contacts = await sandbox.db.selectFrom('contacts').select(['e164', 'viber_user_id']).where('migration_id', '=', input.migrationId).execute();
    const staged = await sandbox.db.selectFrom('staged_rows').select(['phone_raw', 'viber_user_id', 'record_key']).where('migration_id', '=', input.migrationId).execute();
    for (const { e164, viber_user_id } of contacts) {
      const national = parsePhoneNumberFromString(e164)!.nationalNumber;
      numbers.add(e164.slice(1));
      // Eight digits could turn up by chance in a timestamp's or an id's digits; nine and more cannot, here.
      if (national.length >= 9) numbers.add(national);
      if (viber_user_id) viberIds.add(viber_user_id);
    }
    // A file row's key is a hash of its values: whoever guesses the values could confirm them by it.
    const fingerprints = staged.flatMap(({ record_key }) => /^(?:row|record):([0-9a-f]{32})/.exec(record_key ?? '')?.[1] ?? []);
    expect(fingerprints.length).toBeGreaterThan(500);
    for (const { phone_raw, viber_user_id } of staged) {
      const digits = phone_raw?.replace(EASTERN_DIGIT, (d) => String(d.charCodeAt(0) & 0xf)).replace(/\D/g, '');
      if (digits && digits.length >= 9) numbers.add(digits);
      if (viber_user_id) viberIds.add(viber_user_id);
    }
    for (const row of [...original.get('inbound_messages')!, ...original.get('consent_ledger')!]) {
      const { text } = JSON.parse(row) as { text: string };
      if (classifyReply(text) === 'undecided' && text.length >= 6) texts.add(text);
    }
    expect(numbers.size).toBeGreaterThan(500);
    expect(viberIds.size).toBeGreaterThan(50);
    expect(texts.size).toBeGreaterThan(3);
    const traces = {
      number: [...numbers],
      name: [...ARABIC_NAMES, ...LATIN_NAMES, QUARANTINED_NAME].flatMap((name) => [name, ...name.split(' ')]),
      'Viber id': [...viberIds],
      text: [...texts],
      fingerprint: fingerprints,
    };
    // The search finds every kind of trace in the original, so finding none in the copy means something.
    const inOriginal = new Set((await tracesIn(sandbox.db, traces)).map((found) => found.split(' ')[1]));
    expect(inOriginal).toEqual(new Set(['number', 'name', 'Viber', 'text', 'fingerprint']));
    expect((await tracesIn(copy, traces)).slice(0, 20)).toEqual([]);
  });

  it('gives every number a valid fake of its region and line type, the same one wherever the number appears', async () => {
    const contactsIn = (db: Kysely<Database>) =>
      db.selectFrom('contacts').select(['id', 'e164', 'line_type', 'viber_user_id', 'wa_id', 'whatsapp_state']).where('migration_id', '=', input.migrationId).orderBy('id').execute();
    const [originals, fakes] = await Promise.all([contactsIn(sandbox.db), contactsIn(copy)]);
    expect(fakes.map((c) => c.id)).toEqual(originals.map((c) => c.id));
    const fakeOf = new Map(originals.map((c, i) => [c.e164, fakes[i]!.e164]));
    expect(new Set(fakeOf.values()).size).toBe(fakeOf.size);
    for (const [i, contact] of originals.entries()) {
      const [real, fake] = [parsePhoneNumberFromString(contact.e164)!, parsePhoneNumberFromString(fakes[i]!.e164)];
      expect(fake?.isValid(), fakes[i]!.e164).toBe(true);
      expect([fake?.country, fake?.getType()]).toEqual([real.country, real.getType()]);
      expect(fakes[i]!.e164).not.toBe(contact.e164);
      expect(fakes[i]!.line_type).toBe(contact.line_type);
      // A WhatsApp id is the number's digits: the copy's is its fake's.
      if (contact.wa_id === contact.e164.slice(1)) expect(fakes[i]!.wa_id).toBe(fakes[i]!.e164.slice(1));
    }

    // Cleaning's rows point at the same contacts: each normalised row's number is its contact's fake.
    const normalizedIn = (db: Kysely<Database>) =>
      db.selectFrom('normalized_rows').select(['source', 'line_no', 'e164']).where('migration_id', '=', input.migrationId).where('e164', 'is not', null).orderBy('source').orderBy('line_no').execute();
    const [normalized, normalizedCopy] = await Promise.all([normalizedIn(sandbox.db), normalizedIn(copy)]);
    expect(normalizedCopy.map((r) => r.e164)).toEqual(normalized.map((r) => fakeOf.get(r.e164!)));

    // The copy's consent ledger, recipients and audience name each contact by its own fake.
    const { rows: ledgerMismatches } = await sql<{ id: string }>`
      SELECT l.id FROM consent_ledger l JOIN contacts c ON c.id = l.contact_id WHERE c.migration_id = ${input.migrationId} AND l.e164 <> c.e164`.execute(copy);
    expect(ledgerMismatches).toEqual([]);
    const { rows: [ledger] } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM consent_ledger l JOIN contacts c ON c.id = l.contact_id WHERE c.migration_id = ${input.migrationId}`.execute(copy);
    expect(ledger!.n).toBeGreaterThan(0);
    const { rows: recipientMismatches } = await sql<{ contact_id: string }>`
      SELECT r.contact_id FROM campaign_recipients r JOIN contacts c ON c.id = r.contact_id
      WHERE c.migration_id = ${input.migrationId}
        AND (r.e164 <> c.e164 OR r.address <> CASE r.channel WHEN 'viber' THEN c.viber_user_id ELSE c.e164 END)`.execute(copy);
    expect(recipientMismatches).toEqual([]);
    const { rows: states } = await sql<{ missing: number }>`
      SELECT count(*)::int AS missing FROM consent_states s WHERE NOT EXISTS (SELECT 1 FROM consent_ledger l WHERE l.id = s.ledger_id AND l.e164 = s.e164)`.execute(copy);
    expect(states[0]!.missing).toBe(0);
    // Replies still name the address the campaign wrote to, and a yes is still a yes.
    const { rows: replies } = await sql<{ text: string; intent: string; matched: boolean }>`
      SELECT i.text, i.intent, EXISTS (SELECT 1 FROM campaign_recipients r WHERE r.address IN (i.sender, '+' || i.sender) AND r.contact_id = i.contact_id) AS matched
      FROM inbound_messages i WHERE i.campaign_id = ${input.migrationId} AND i.contact_id IS NOT NULL`.execute(copy);
    expect(replies.length).toBeGreaterThan(0);
    expect(replies.filter((r) => !r.matched)).toEqual([]);
    expect(replies.filter((r) => r.intent !== 'undecided' && classifyReply(r.text) !== r.intent)).toEqual([]);
  });

  it('replaces every vendor message id, the same fake wherever it appears, so statuses still join their sends', async () => {
    const { rows: ids } = await sql<{ id: string }>`
      SELECT wamid AS id FROM whatsapp_status_events UNION SELECT vendor_message_id FROM outbound_messages WHERE vendor_message_id IS NOT NULL
      UNION SELECT vendor_message_id FROM rollout_sends WHERE vendor_message_id IS NOT NULL UNION SELECT provider_message_id FROM inbound_messages
      UNION SELECT provider_message_id FROM consent_ledger UNION SELECT message_token FROM viber_events`.execute(sandbox.db);
    // A WhatsApp message id holds the recipient's number in its base64.
    expect(ids.filter(({ id }) => id.startsWith('wamid.')).length).toBeGreaterThan(100);
    expect((await tracesIn(copy, { 'message id': ids.map(({ id }) => id) })).slice(0, 20)).toEqual([]);
    const { rows: copiedWamids } = await sql<{ wamid: string }>`SELECT wamid FROM whatsapp_status_events`.execute(copy);
    expect(copiedWamids.filter(({ wamid }) => !/^wamid\.[A-Za-z0-9+/=]+$/.test(wamid))).toEqual([]);

    const joined = async (db: Kysely<Database>) => {
      const { rows: [counts] } = await sql<{ statuses: number; ledger: number }>`
        SELECT (SELECT count(*)::int FROM whatsapp_status_events s JOIN outbound_messages o ON o.vendor_message_id = s.wamid
                WHERE o.campaign_id = ${input.migrationId}) AS statuses,
               (SELECT count(*)::int FROM consent_ledger l JOIN inbound_messages i ON (i.provider, i.provider_message_id) = (l.provider, l.provider_message_id)
                WHERE i.campaign_id = ${input.migrationId}) AS ledger`.execute(db);
      return counts!;
    };
    const [original, copied] = await Promise.all([joined(sandbox.db), joined(copy)]);
    expect(original.statuses).toBeGreaterThan(100);
    expect(original.ledger).toBeGreaterThan(0);
    expect(copied).toEqual(original);
  });

  it('reads as the original does: the same data-quality report, and an export of every contact', async () => {
    expect(await measureDataQuality(copy, input.migrationId)).toEqual(await measureDataQuality(sandbox.db, input.migrationId));
    const file = join(mkdtempSync(join(tmpdir(), 'anonymize-export-')), 'contacts.csv');
    const exported = await exportMigration(copy, input.migrationId, file);
    const contacts = await sandbox.db.selectFrom('contacts').select((e) => e.fn.countAll<string>().as('n')).where('migration_id', '=', input.migrationId).executeTakeFirstOrThrow();
    expect(exported.contacts).toBe(Number(contacts.n));
    expect(readFileSync(file, 'utf8')).not.toContain((await sandbox.db.selectFrom('contacts').select('e164').where('migration_id', '=', input.migrationId).executeTakeFirstOrThrow()).e164);
  });

  it('refuses the database it reads from, and a target that already holds the migration', async () => {
    // Another connection pool to the same database: what the target is, not how its URL is written, is what counts.
    const sameDatabase = await openDatabase({ kind: 'postgres', url: sandbox.databaseUrl });
    try {
      await expect(anonymizeMigration(sandbox.db, sameDatabase, input.migrationId)).rejects.toThrow(/the database the migration is read from/);
    } finally {
      await sameDatabase.destroy();
    }
    await expect(anonymizeMigration(sandbox.db, copy, input.migrationId)).rejects.toThrow(/already holds migration/);
    await expect(anonymizeMigration(sandbox.db, copy, 'no-such-migration')).rejects.toThrow(/no data for migration/);
  });

  it('names the copy by --as, in a database of its own', async () => {
    const other = await openDatabase({ kind: 'postgres', url: urlOf(await newDatabase()) });
    try {
      const copied = await anonymizeMigration(sandbox.db, other, input.migrationId, { as: 'renamed-copy' });
      expect(copied.copyId).toBe('renamed-copy');
      expect(await measureDataQuality(other, 'renamed-copy')).toEqual(await measureDataQuality(sandbox.db, input.migrationId));
      const campaigns = await other.selectFrom('campaign_recipients').select('campaign_id').distinct().execute();
      expect(campaigns).toEqual([{ campaign_id: 'renamed-copy' }]);
    } finally {
      await other.destroy();
    }
  });
});
