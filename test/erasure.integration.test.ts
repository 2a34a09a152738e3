import { createHmac } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sql } from 'kysely';
import type { CountryCode } from 'libphonenumber-js/max';
import { forgetCommand } from '../cli/commands/forget.ts';
import { personCommand } from '../cli/commands/person.ts';
import { startOrAttach } from '../cli/follow-migration.ts';
import { verifyBackup } from '../backup/backup-verify.ts';
import { emulatedCustomers } from '../connectors/emulated-customers.ts';
import { seededRandom } from '../connectors/seeded-random.ts';
import { scriptKnownCustomers } from '../demo/opt-in-audience.ts';
import { randomMobile } from '../demo/random-mobile.ts';
import { generateSourceHistories, VONAGE_ACCOUNT } from '../demo/source-histories.ts';
import type { PersonExport } from '../privacy/person-export.ts';
import type { MigrationInput } from '../workflows/migration-input.ts';
import { openSandbox, type Sandbox } from './support/sandbox.ts';

const DAY = 86_400_000;
const ERASURE_KEY = 'e'.repeat(16) + '0123456789abcdef0123456789abcdef0123456789abcdef';

/** The person who asks to be forgotten: in the CRM export (written nationally), in Vonage's history, and on Viber. */
const PERSON = {
  e164: '+971567770042',
  written: '056 777 0042',
  country: 'AE',
  name: 'Rahaf Qutaishat',
  viberId: 'cmFoYWYtcXV0YWlzaGF0LXZpYmVy==',
  reply: 'Yes please, thank you, shukriya',
};
/** Every form the person's data could be found in, as a search would look for it. */
const TRACES = [PERSON.e164.slice(1), PERSON.e164.slice(4), PERSON.written, PERSON.name, PERSON.name.split(' ')[1]!, PERSON.viberId, PERSON.reply];

describe('an erasure request (GDPR, CCPA) for one customer of a migration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'erasure-'));
  const backupDir = join(dir, 'backups');
  let sandbox: Sandbox;
  let input: MigrationInput;
  let stopWorker: () => Promise<void>;
  /** Other customers, whose data must be all there after the erasure: from the CRM export, Vonage and Viber. */
  let othersSample: string[];
  beforeAll(async () => {
    const to = new Date(Math.floor(Date.now() / DAY) * DAY);
    const from = new Date(to.getTime() - 2 * DAY);
    const histories = generateSourceHistories({ vonageRecords: 60, plivoMessages: 0, viberSubscribers: 12, from, days: 2, seed: 7007 });
    // Two messages of the person's in Vonage's history, one each way, shaped as the generated ones.
    const inbound = histories.vonage.find((r) => r.direction === 'inbound')!;
    const outbound = histories.vonage.find((r) => r.direction === 'outbound')!;
    const msisdn = PERSON.e164.slice(1);
    histories.vonage.push(
      { ...inbound, message_id: 'vonage-person-in', from: msisdn, country: PERSON.country, country_name: PERSON.country },
      { ...outbound, message_id: 'vonage-person-out', to: msisdn, country: PERSON.country, country_name: PERSON.country },
    );
    histories.viber.push({ id: PERSON.viberId, name: PERSON.name, country: PERSON.country, language: 'en', phone: PERSON.e164 });

    // The CRM export: other customers, the person written the national way, and a broken line of each kind.
    const random = seededRandom(7007);
    const others = Array.from({ length: 25 }, (_, i) => ({ e164: randomMobile((i % 2 ? 'AE' : 'GB') as CountryCode, random), name: `Customer ${i}`, country: i % 2 ? 'AE' : 'GB' }));
    const csv = join(dir, 'crm-export.csv');
    writeFileSync(
      csv,
      [
        'phone,name,country',
        ...others.map((o) => `${o.e164},${o.name},${o.country}`),
        `${PERSON.written},${PERSON.name},${PERSON.country}`,
        `${PERSON.written},${PERSON.name},${PERSON.country},call after 5`,
        `${others[0]!.e164},${others[0]!.name},${others[0]!.country},VIP`,
      ].join('\n') + '\n',
    );

    othersSample = [others[0]!.e164, others[1]!.e164, histories.vonage[0]!.direction === 'inbound' ? `+${histories.vonage[0]!.from}` : `+${histories.vonage[0]!.to}`, histories.viber.find((u) => u.phone)!.phone!];
    const replies = scriptKnownCustomers([...others.map((o) => o.e164), ...histories.truth.numbers], histories.viber, { seed: 7007, maxDelayMs: 1000 });
    const yes = { answers: [{ text: PERSON.reply, delayMs: 200 }], onWhatsApp: true };
    replies.scripts.set(PERSON.e164, yes);
    replies.scripts.set(PERSON.viberId, yes);
    sandbox = await openSandbox({
      histories,
      customers: emulatedCustomers(replies.scripts),
      sendRates: { vonageSms: 250, plivoSms: 250, whatsApp: 250 },
      whatsAppMessagingLimit: 100_000,
    });
    input = {
      migrationId: `erasure-${Date.now().toString(36)}`,
      sources: [
        { kind: 'csv', name: 'crm-export', path: csv, columns: { phone: 'phone', name: 'name', country: 'country' } },
        { kind: 'vonage', name: 'vonage-sms', accountId: VONAGE_ACCOUNT, from: from.toISOString(), to: to.toISOString() },
        { kind: 'viber', name: 'viber-bot', bot: sandbox.viberBot },
      ],
      backupDir,
      crms: ['hubspot', 'salesforce'],
      optIn: { window: '25s', reminderAfter: '10s', quietHours: null, activationTimeout: '20s', unconfirmedResendAfter: '10s' },
    };
    stopWorker = await sandbox.startWorker();
    expect((await sandbox.emulators.viber.deliverCallbacks(`${sandbox.webhooks.url}/webhooks/viber`)).refused).toBe(0);
    await (await startOrAttach(sandbox.client, sandbox.temporal.taskQueue, input)).result();
    await sandbox.emulators.settled();
  }, 300_000);
  afterAll(async () => {
    await stopWorker?.();
    await sandbox?.close();
  });

  it('exports what the product holds on the person, then erases it all but a keyed hash, and a second request finds nothing more', async () => {
    const out = join(dir, 'person.json');
    await run(sandbox, personCommand, ['--phone', PERSON.e164, '--out', out]);
    const held = JSON.parse(readFileSync(out, 'utf8')) as PersonExport;
    const rowsIn = (table: string) => held.tables[table]?.length ?? 0;
    // All three sources, merged into one contact who said yes and was welcomed on WhatsApp, in both CRMs.
    expect(new Set(held.tables.staged_rows!.map((r) => r.source))).toEqual(new Set(['crm-export', 'vonage-sms', 'viber-bot']));
    expect(held.tables.contacts).toEqual([expect.objectContaining({ e164: PERSON.e164, name: PERSON.name, viber_user_id: PERSON.viberId, wa_id: PERSON.e164.slice(1) })]);
    expect(held.tables.consent_ledger).toEqual([expect.objectContaining({ decision: 'granted', text: PERSON.reply })]);
    expect(held.tables.quarantined_rows).toEqual([expect.objectContaining({ content: expect.stringContaining(PERSON.written) })]);
    for (const table of ['viber_subscribers', 'viber_events', 'inbound_messages', 'outbound_messages', 'campaign_recipients', 'whatsapp_status_events', 'crm_sync_state']) {
      expect(rowsIn(table), table).toBeGreaterThan(0);
    }
    expect(held.crmRecords.map((r) => r.crm).sort()).toEqual(['hubspot', 'salesforce']);
    const personsBackupLines = Object.values(held.backups).reduce((sum, lines) => sum + lines.length, 0);
    expect(personsBackupLines).toBe(rowsIn('staged_rows') + rowsIn('quarantined_rows'));
    expect(held.erasures).toEqual([]);

    // The search finds the person everywhere before the erasure: it is the one that must find nothing after.
    expect((await tracesInDatabase(sandbox)).length).toBeGreaterThan(0);
    expect(tracesInBackups(backupDir).length).toBeGreaterThan(0);
    const crmsHold = () => TRACES.filter((t) => sandbox.emulators.hubspot.holds(t) || sandbox.emulators.salesforce.holds(t));
    // The CRMs keep the name as first and last name.
    expect(crmsHold()).toEqual(expect.arrayContaining([PERSON.e164.slice(1), 'Qutaishat']));
    const rowsBefore = await migrationRowCounts(sandbox, input.migrationId);
    const othersBefore = await exportsOf(sandbox, othersSample, dir);
    for (const other of othersBefore) expect(Object.values(other.tables).flat().length, other.e164).toBeGreaterThan(0);
    const linesBefore = await archiveLineCounts(backupDir);
    const crmRecordsBefore = { hubspot: sandbox.emulators.hubspot.records().length, salesforce: sandbox.emulators.salesforce.records().length };

    const printed = await run(sandbox, forgetCommand, ['--phone', PERSON.written, '--country', PERSON.country, '--wait']);
    const requestId = /Erasure request ([0-9a-f-]{36}) started/.exec(printed)?.[1];
    expect(requestId, printed).toBeDefined();
    expect(printed).toMatch(/crm:hubspot {2}1\n/);
    expect(printed).toMatch(/crm:salesforce {2}1\n/);

    // Nothing of the person in any text of any row of any table, but the request with the number's keyed hash.
    expect(await tracesInDatabase(sandbox)).toEqual([]);
    const evidence = await sandbox.db.selectFrom('erasure_requests').selectAll().where('id', '=', requestId!).executeTakeFirstOrThrow();
    expect(evidence).toMatchObject({ e164: null, subject_hash: createHmac('sha256', ERASURE_KEY).update(PERSON.e164).digest('hex') });
    expect(evidence.completed_at).toBeInstanceOf(Date);
    expect(evidence.removed).toMatchObject({ 'crm:hubspot': 1, 'crm:salesforce': 1, 'table:contacts': 1, 'table:staged_rows': rowsIn('staged_rows') });

    // The backups hold none of it, and still verify.
    expect(tracesInBackups(backupDir)).toEqual([]);
    expect((await verifyBackup(backupDir)).problems).toEqual([]);
    // Neither CRM keeps a record, a deleted one, an index entry or a Bulk job's data of the person.
    expect(crmsHold()).toEqual([]);

    // Everybody else's data is all still there: each table lost exactly the person's rows, each archive their lines.
    const rowsAfter = await migrationRowCounts(sandbox, input.migrationId);
    for (const [table, before] of Object.entries(rowsBefore)) expect(rowsAfter[table], table).toBe(before - rowsIn(table));
    expect(await exportsOf(sandbox, othersSample, dir)).toEqual(othersBefore);
    const linesAfter = await archiveLineCounts(backupDir);
    const linesOfPerson = Object.fromEntries(Object.entries(held.backups).map(([path, lines]) => [path, lines.length]));
    for (const [path, before] of Object.entries(linesBefore)) expect(linesAfter[path], path).toBe(before - (linesOfPerson[path] ?? 0));
    expect(sandbox.emulators.hubspot.records().length).toBe(crmRecordsBefore.hubspot - 1);
    expect(sandbox.emulators.salesforce.records().length).toBe(crmRecordsBefore.salesforce - 1);

    // A second request for the same number finds nothing more, succeeds, and leaves its own evidence.
    const again = await run(sandbox, forgetCommand, ['--phone', PERSON.e164, '--wait']);
    expect(again).toMatch(/Records removed: 0\n/);
    await run(sandbox, personCommand, ['--phone', PERSON.e164, '--out', out]);
    const afterwards = JSON.parse(readFileSync(out, 'utf8')) as PersonExport;
    expect(Object.values(afterwards.tables).flat()).toEqual([]);
    expect(afterwards.backups).toEqual({});
    expect(afterwards.erasures.map((e) => e.requestId)).toContain(requestId);
    expect(afterwards.erasures.every((e) => e.completedAt !== null)).toBe(true);
  }, 300_000);

  it('names the value it cannot read as a number', async () => {
    await expect(run(sandbox, forgetCommand, ['--phone', 'call me'])).rejects.toThrow('--phone "call me": not a phone number');
    await expect(run(sandbox, personCommand, ['--phone', '056 777 0042'])).rejects.toThrow('needs --country');
  });
});

/** Runs a command against the sandbox as a user would (its settings in the environment); what it printed. */
async function run(sandbox: Sandbox, command: (args: string[]) => Promise<void>, args: string[]): Promise<string> {
  let printed = '';
  const log = vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void (printed += `${parts.join(' ')}\n`));
  for (const name of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_TASK_QUEUE']) vi.stubEnv(name, sandbox.processEnv[name]);
  vi.stubEnv('CHANNELSHIFT_ERASURE_KEY', ERASURE_KEY);
  try {
    await command(args);
    return printed;
  } finally {
    log.mockRestore();
    vi.unstubAllEnvs();
  }
}

async function publicTables(sandbox: Sandbox): Promise<string[]> {
  const { rows } = await sql<{ table_name: string }>`
    SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`.execute(sandbox.db);
  return rows.map((r) => r.table_name);
}

/** Every row of every table as text (jsonb, arrays and all), searched for each form of the person's data. */
async function tracesInDatabase(sandbox: Sandbox): Promise<string[]> {
  const found: string[] = [];
  for (const table of await publicTables(sandbox)) {
    for (const trace of TRACES) {
      const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)} AS t WHERE strpos(t::text, ${trace}) > 0`.execute(sandbox.db);
      if (rows[0]!.n > 0) found.push(`${table}: "${trace}" in ${rows[0]!.n} rows`);
    }
  }
  return found;
}

/** Rows of this migration, its campaign and its Viber bot, per table (other test files share the database). */
async function migrationRowCounts(sandbox: Sandbox, migrationId: string): Promise<Record<string, number>> {
  const { rows } = await sql<Record<string, number>>`SELECT
    (SELECT count(*)::int FROM staged_rows WHERE migration_id = ${migrationId}) AS staged_rows,
    (SELECT count(*)::int FROM normalized_rows WHERE migration_id = ${migrationId}) AS normalized_rows,
    (SELECT count(*)::int FROM contacts WHERE migration_id = ${migrationId}) AS contacts,
    (SELECT count(*)::int FROM quarantined_rows WHERE migration_id = ${migrationId}) AS quarantined_rows,
    (SELECT count(*)::int FROM crm_sync_state WHERE contact_id IN (SELECT id FROM contacts WHERE migration_id = ${migrationId})) AS crm_sync_state,
    (SELECT count(*)::int FROM campaign_recipients WHERE campaign_id = ${migrationId}) AS campaign_recipients,
    (SELECT count(*)::int FROM outbound_messages WHERE campaign_id = ${migrationId}) AS outbound_messages,
    (SELECT count(*)::int FROM inbound_messages WHERE campaign_id = ${migrationId}) AS inbound_messages,
    (SELECT count(*)::int FROM consent_ledger WHERE campaign_id = ${migrationId}) AS consent_ledger,
    (SELECT count(*)::int FROM viber_subscribers WHERE bot = ${sandbox.viberBot}) AS viber_subscribers,
    (SELECT count(*)::int FROM viber_events WHERE bot = ${sandbox.viberBot}) AS viber_events`.execute(sandbox.db);
  return rows[0]!;
}

/** What `person` exports of each of these people, less the time of the export. */
async function exportsOf(sandbox: Sandbox, numbers: string[], dir: string): Promise<Omit<PersonExport, 'exportedAt'>[]> {
  const held = [];
  for (const e164 of numbers) {
    const out = join(dir, 'other-person.json');
    await run(sandbox, personCommand, ['--phone', e164, '--out', out]);
    const { exportedAt: _, ...rest } = JSON.parse(readFileSync(out, 'utf8')) as PersonExport;
    held.push(rest);
  }
  return held;
}

function archives(backupDir: string): string[] {
  return readdirSync(backupDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.jsonl.gz')).map((f) => join(backupDir, f));
}

function tracesInBackups(backupDir: string): string[] {
  return archives(backupDir).flatMap((path) => {
    const text = gunzipSync(readFileSync(path)).toString('utf8');
    return TRACES.filter((trace) => text.includes(trace)).map((trace) => `${path}: "${trace}"`);
  });
}

async function archiveLineCounts(backupDir: string): Promise<Record<string, number>> {
  return Object.fromEntries(archives(backupDir).map((path) => [path, gunzipSync(readFileSync(path)).toString('utf8').split('\n').filter(Boolean).length]));
}
