import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../database/schema.ts';
import { emulatedCustomers, whatsAppAddress, type CustomerScript } from '../connectors/emulated-customers.ts';
import { seededRandom } from '../connectors/seeded-random.ts';
import { cohortBucket, cohortOf } from '../activities/rollout/cohorts.ts';
import type { ChannelOutcome, RolloutReport } from '../activities/rollout/rollout-report.ts';
import { rolloutCommand } from '../cli/commands/rollout.ts';
import { scenarioRolloutWorkflow } from '../workflows/scenario-rollout.ts';
import { rolloutWorkflowId, type RolloutScenario, type ScenarioRolloutInput } from '../workflows/scenario-rollout-input.ts';
import { openSandbox, type Sandbox } from './support/sandbox.ts';

const CONTACTS = 10_000;
const FIRST_NUMBER = 70_000_000;
const cohorts: RolloutScenario['cohorts'] = [
  { name: 'whatsapp', channel: 'whatsapp', percent: 50 },
  { name: 'control', channel: 'old', percent: 50 },
];
const NEWSLETTER_TEMPLATE = { name: 'monthly_newsletter', language: 'en', bodyParameters: 1 };
const newsletter: RolloutScenario = {
  id: 'newsletter',
  stage: 'non-critical',
  whatsApp: { template: { name: NEWSLETTER_TEMPLATE.name, language: 'en', variables: [{ field: 'first_name', ifMissing: 'there' }] } },
  oldChannel: { text: 'Hi {{first_name}}, our March newsletter is out: new opening hours and offers.' },
  cohorts,
  // Longer than the status webhooks of thousands of messages take here, so only 131026 makes a fallback.
  fallback: { to: 'old-channel', deliveryTimeout: '30s' },
};

type Counts = Pick<ChannelOutcome, 'channel' | 'attempt' | 'sent' | 'delivered' | 'read' | 'replied'> & { cohort: string };

describe('an A/B rollout of a newsletter to 10,000 consenting contacts, half on WhatsApp', () => {
  let sandbox: Sandbox;
  let scripts: Map<string, CustomerScript>;
  const input: ScenarioRolloutInput = {
    rolloutId: `ab-${Date.now().toString(36)}`,
    migrationId: `rollout-${Date.now().toString(36)}`,
    scenarios: [newsletter],
    batchSize: 1000,
    // A send whose answer a loaded machine lost goes again after seconds, not the ten minutes of production.
    unconfirmedResendAfter: '60s',
  };
  beforeAll(async () => {
    scripts = customerScripts(CONTACTS, FIRST_NUMBER, 7);
    sandbox = await openSandbox({
      customers: emulatedCustomers(scripts),
      // WhatsApp at Meta's default throughput; SMS faster than Vonage's default, slow enough for one worker's webhooks.
      sendRates: { vonageSms: 150, whatsApp: 80 },
      whatsAppMessagingLimit: 100_000,
      whatsApp: { templates: [NEWSLETTER_TEMPLATE], statuses: { readRate: 0.8, seed: 11 } },
    });
    await seedContacts(sandbox.db, input.migrationId, FIRST_NUMBER, CONTACTS, () => 'granted');
  }, 120_000);
  afterAll(async () => sandbox?.close());

  it('reports per cohort and channel the delivered, read and replied counts the emulators produced', async () => {
    const stop = await sandbox.startWorker();
    const result = await sandbox.client.workflow.execute(scenarioRolloutWorkflow, {
      workflowId: rolloutWorkflowId(input.rolloutId),
      taskQueue: sandbox.temporal.taskQueue,
      args: [input],
    });
    await stop();
    await sandbox.emulators.settled();
    expect(result.audience).toBe(CONTACTS);

    // Ground truth: what the emulators say became of each message, and the customers' scripts for the SMS.
    const contactIdOf = new Map((await sandbox.db.selectFrom('contacts').select(['id', 'e164']).where('migration_id', '=', input.migrationId).execute()).map((c) => [c.e164, c.id]));
    const cohortOfNumber = (e164: string) => cohortOf(cohortBucket(input.rolloutId, contactIdOf.get(e164)!), cohorts);
    const truth: Counts[] = [];
    const add = (row: Counts) => {
      const same = truth.find((r) => r.cohort === row.cohort && r.channel === row.channel && r.attempt === row.attempt);
      if (!same) return truth.push(row);
      same.sent += row.sent;
      same.delivered += row.delivered;
      same.replied += row.replied;
      if (same.read !== null) same.read += row.read ?? 0;
    };
    const whatsApp = sandbox.emulators.whatsApp.messageOutcomes();
    for (const m of whatsApp) {
      const cohort = cohortOfNumber(m.to);
      expect(cohort.channel, 'a WhatsApp message to the control cohort').toBe('whatsapp');
      expect(m.kind).toBe('template');
      add({ cohort: cohort.name, channel: 'whatsapp', attempt: 'first', sent: 1, delivered: Number(m.delivered), read: Number(m.read), replied: Number(m.repliedAt !== undefined) });
    }
    const gotWhatsApp = new Set(whatsApp.map((m) => m.to));
    for (const m of sandbox.emulators.vonageMessaging.sentMessages()) {
      const cohort = cohortOfNumber(m.to);
      // Each customer gets one SMS at most; every number is a mobile one, so the emulator delivers every SMS.
      const replied = (scripts.get(m.to)?.answers[0] ?? null) !== null;
      add({ cohort: cohort.name, channel: 'sms', attempt: gotWhatsApp.has(m.to) ? 'fallback' : 'first', sent: 1, delivered: 1, read: null, replied: Number(replied) });
    }

    const report = await reportFor(sandbox, input.rolloutId);
    const [scenario] = report.scenarios;
    const reported = scenario!.cohorts.flatMap((c) => c.outcomes.map((o) => ({ cohort: c.cohort, channel: o.channel, attempt: o.attempt, sent: o.sent, delivered: o.delivered, read: o.read, replied: o.replied })));
    expect(sorted(reported)).toEqual(sorted(truth));
    for (const o of scenario!.cohorts.flatMap((c) => c.outcomes)) {
      expect(o.deliveryRate).toBeCloseTo(o.delivered / o.sent, 10);
      expect(o.replyRate).toBeCloseTo(o.replied / o.sent, 10);
      expect(o.readRate).toEqual(o.read === null ? null : o.read / o.sent);
      expect(o.medianResponseMs, JSON.stringify(o)).toBeGreaterThan(0);
    }
    // The workflow's result is the report as it stood when the last stage finished: the same messages.
    expect(result.report!.scenarios[0]!.cohorts.map((c) => c.outcomes.map((o) => o.sent))).toEqual(scenario!.cohorts.map((c) => c.outcomes.map((o) => o.sent)));

    // Each cohort is the contacts the hash put there, every one of them messaged once; the fallbacks are exactly the
    // WhatsApp cohort's numbers without WhatsApp (131026), none of them a timeout.
    const [wa, control] = scenario!.cohorts;
    const inWhatsAppCohort = [...contactIdOf.keys()].filter((e164) => cohortOfNumber(e164).channel === 'whatsapp');
    expect(inWhatsAppCohort.length).toBeGreaterThan(CONTACTS * 0.45);
    expect(inWhatsAppCohort.length).toBeLessThan(CONTACTS * 0.55);
    expect(wa).toMatchObject({ cohort: 'whatsapp', audience: inWhatsAppCohort.length });
    expect(control).toMatchObject({ cohort: 'control', audience: CONTACTS - inWhatsAppCohort.length, fallbacks: 0 });
    expect(whatsApp.map((m) => m.to).sort()).toEqual(inWhatsAppCohort.sort());
    const withoutWhatsApp = inWhatsAppCohort.filter((e164) => !scripts.get(e164)!.onWhatsApp);
    expect(wa!.fallbacks).toBe(withoutWhatsApp.length);
    expect(truth.find((r) => r.attempt === 'fallback')?.sent).toBe(withoutWhatsApp.length);
    // The template's variable is the contact's first name.
    expect(sandbox.emulators.vonageMessaging.sentMessages()[0]!.text).toMatch(/^Hi Customer, our March newsletter/);

    // Ten thousand messages, and the history holds no number.
    const history = JSON.stringify(await sandbox.client.workflow.getHandle(rolloutWorkflowId(input.rolloutId)).fetchHistory(), (_key, value: unknown) =>
      value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : value,
    );
    expect([...contactIdOf.keys()].filter((e164) => history.includes(e164.slice(1)))).toEqual([]);
    // Thousands of customers' statuses and replies through one worker's webhooks on a shared machine: longer than the suite's usual limit.
  }, 300_000);
});

describe('the sending policy, the stages and the fallbacks of one rollout', () => {
  let sandbox: Sandbox;
  const people = {
    answersOnWhatsApp: '+971580000001',
    silentOnWhatsApp: '+971580000002',
    notOnWhatsApp: '+971580000003',
    wroteElsewhere: '+971580000004',
    noConsent: '+971580000005',
    stopped: '+971580000006',
    knownNotOnWhatsApp: '+971580000007',
  };
  const paymentReminder: RolloutScenario = {
    id: 'payment-reminder',
    stage: 'critical',
    whatsApp: { template: { name: 'welcome_to_whatsapp', language: 'ar' }, session: { text: 'Hi {{first_name}}, your payment is due on 5 April.' } },
    oldChannel: { text: 'Your payment is due on 5 April.' },
    cohorts: [{ name: 'all-whatsapp', channel: 'whatsapp', percent: 100 }],
    fallback: { to: 'old-channel', deliveryTimeout: '6s' },
  };
  const input: ScenarioRolloutInput = {
    rolloutId: `policy-${Date.now().toString(36)}`,
    migrationId: `policy-${Date.now().toString(36)}`,
    // Listed first, run last: the critical stage waits for the non-critical one.
    scenarios: [
      paymentReminder,
      {
        id: 'welcome-news',
        stage: 'non-critical',
        whatsApp: { template: { name: 'welcome_to_whatsapp', language: 'en' } },
        oldChannel: { text: 'Our news is out.' },
        cohorts: [{ name: 'all-whatsapp', channel: 'whatsapp', percent: 100 }],
        // Longer than Meta's pair rate limit, so the next stage's message to the same customer is not refused.
        fallback: { to: 'old-channel', deliveryTimeout: '6s' },
      },
    ],
  };
  beforeAll(async () => {
    const script = (onWhatsApp: boolean, answer?: string): CustomerScript => ({ onWhatsApp, answers: answer ? [{ text: answer, delayMs: 100 }] : [] });
    sandbox = await openSandbox({
      customers: emulatedCustomers(
        new Map([
          [people.answersOnWhatsApp, script(true)],
          [whatsAppAddress(people.answersOnWhatsApp), script(true, 'Thanks for the news')],
          [people.silentOnWhatsApp, script(true)],
          [people.notOnWhatsApp, script(false)],
          [people.wroteElsewhere, script(true)],
          [people.knownNotOnWhatsApp, script(true)],
        ]),
      ),
      // The business's messaging limit counts every template in the database, the other test's thousands too.
      whatsAppMessagingLimit: 100_000,
    });
    const numbers = Object.values(people);
    await seedContacts(sandbox.db, input.migrationId, 0, numbers.length, (e164) => (e164 === people.noConsent ? null : e164 === people.stopped ? 'withdrawn' : 'granted'), numbers);
    await sandbox.db.updateTable('contacts').set({ whatsapp_state: 'not_on_whatsapp' }).where('e164', '=', people.knownNotOnWhatsApp).execute();
    // A WhatsApp message we hold but Meta does not know of: we think the window open, Meta fails free-form with 131047.
    await sandbox.db
      .insertInto('inbound_messages')
      .values({ provider: 'whatsapp', provider_message_id: `wamid.${input.rolloutId}`, channel: 'whatsapp', sender: people.wroteElsewhere, text: 'Hello', intent: 'undecided', event_at: new Date(Date.now() - 3_600_000), campaign_id: null, contact_id: null })
      .execute();
  }, 120_000);
  afterAll(async () => sandbox?.close());

  it('sends free-form only inside the window, falls back to SMS after 131026 and 131047, and keeps the others on their old channel', async () => {
    const stop = await sandbox.startWorker();
    await sandbox.client.workflow.execute(scenarioRolloutWorkflow, { workflowId: rolloutWorkflowId(input.rolloutId), taskQueue: sandbox.temporal.taskQueue, args: [input] });
    await stop();
    await sandbox.emulators.settled();

    const whatsApp = sandbox.emulators.whatsApp.messageOutcomes();
    const templates = new Map(sandbox.emulators.whatsApp.sentMessages().map((m) => [m.wamid, m.template.language]));
    const got = (language: string) => whatsApp.filter((m) => templates.get(m.wamid) === language).map((m) => m.to).sort();
    // The first stage: the template to every consenting number not known to be without WhatsApp.
    expect(got('en')).toEqual([people.answersOnWhatsApp, people.silentOnWhatsApp, people.notOnWhatsApp, people.wroteElsewhere].sort());
    // The second stage, after the first: free-form to whoever wrote on WhatsApp within 24 hours, the template to the silent.
    expect(got('ar')).toEqual([people.silentOnWhatsApp]);
    const texts = whatsApp.filter((m) => m.kind === 'text');
    expect(texts.map((m) => m.to).sort()).toEqual([people.answersOnWhatsApp, people.wroteElsewhere].sort());
    expect(texts.find((m) => m.to === people.answersOnWhatsApp)).toMatchObject({ delivered: true });
    expect(texts.find((m) => m.to === people.wroteElsewhere)).toMatchObject({ delivered: false, failedCode: 131047 });
    const secondStageStart = Math.min(...sandbox.emulators.whatsApp.sentMessages().filter((m) => m.template.language === 'ar').map((m) => m.at));
    expect(Math.max(...sandbox.emulators.whatsApp.sentMessages().filter((m) => m.template.language === 'en').map((m) => m.at))).toBeLessThan(secondStageStart);

    // SMS: fallbacks after 131026 and 131047, the old channel for those outside the comparison, nothing after a STOP.
    const sms = sandbox.emulators.vonageMessaging.sentMessages().map((m) => `${m.text === 'Our news is out.' ? 'news' : 'payment'} ${m.to}`);
    expect(sms.sort()).toEqual(
      [
        `news ${people.notOnWhatsApp}`,
        `news ${people.noConsent}`,
        `news ${people.knownNotOnWhatsApp}`,
        // Known from the first stage's 131026: straight to SMS.
        `payment ${people.notOnWhatsApp}`,
        `payment ${people.wroteElsewhere}`,
        `payment ${people.noConsent}`,
        `payment ${people.knownNotOnWhatsApp}`,
      ].sort(),
    );
    const sends = await sandbox.db.selectFrom('rollout_sends').selectAll().where('rollout_id', '=', input.rolloutId).orderBy('id').execute();
    const firstOf = (scenario: string, e164: string) => sends.find((s) => s.scenario_id === scenario && s.address === e164 && s.attempt === 'first')!;
    const fallbacks = sends.filter((s) => s.attempt === 'fallback').map((s) => ({ scenario: s.scenario_id, address: s.address, reason: s.reason, of: s.fallback_of }));
    expect(fallbacks).toEqual([
      { scenario: 'welcome-news', address: people.notOnWhatsApp, reason: 'whatsapp-131026', of: firstOf('welcome-news', people.notOnWhatsApp).id },
      { scenario: 'payment-reminder', address: people.wroteElsewhere, reason: 'whatsapp-131047', of: firstOf('payment-reminder', people.wroteElsewhere).id },
    ]);
    expect(firstOf('payment-reminder', people.notOnWhatsApp)).toMatchObject({ channel: 'sms', reason: 'not-on-whatsapp', cohort: 'all-whatsapp' });

    const printed = await cliOutput(sandbox, ['report', input.rolloutId]);
    expect(printed.indexOf('welcome-news (non-critical)')).toBeLessThan(printed.indexOf('payment-reminder (critical)'));
    expect(printed).toMatch(/all-whatsapp\s+whatsapp\s+4\s+3\s+3\s+1\s+75\.0%\s+75\.0%\s+25\.0%/);
    expect(printed).toMatch(/all-whatsapp\s+sms \(fallback\)\s+1\s+1\s+n\/a/);
    expect(printed).toMatch(/no-consent \(held out\)\s+sms\s+1\s+1\s+n\/a/);
    expect(printed).toMatch(/not-on-whatsapp \(held out\)\s+sms\s+1\s+1\s+n\/a/);
    const json = JSON.parse(await cliOutput(sandbox, ['report', input.rolloutId, '--json'])) as RolloutReport;
    expect(json.audience).toBe(Object.keys(people).length);
    expect(json.scenarios.map((s) => s.scenarioId)).toEqual(['welcome-news', 'payment-reminder']);
  });
});

/** Scripts for `count` customers: most have WhatsApp; some answer the rollout's message on WhatsApp, some by SMS, after a moment. */
function customerScripts(count: number, firstNumber: number, seed: number): Map<string, CustomerScript> {
  const random = seededRandom(seed);
  const answer = (share: number, text: string) => (random() < share ? { text, delayMs: 200 + Math.floor(random() * 1300) } : null);
  const scripts = new Map<string, CustomerScript>();
  for (let i = 0; i < count; i++) {
    const e164 = `+9715${firstNumber + i}`;
    const onWhatsApp = random() < 0.9;
    scripts.set(e164, { onWhatsApp, answers: [answer(0.2, 'Received, thank you')] });
    scripts.set(whatsAppAddress(e164), { onWhatsApp, answers: [answer(0.35, 'Thanks for the update')] });
  }
  return scripts;
}

/**
 * Contacts as the opt-in stage leaves them, written straight into the database: each reached by SMS, with the
 * consent decision `decisionOf` gives its number (null: never answered).
 */
async function seedContacts(
  db: Kysely<Database>,
  migrationId: string,
  firstNumber: number,
  count: number,
  decisionOf: (e164: string) => 'granted' | 'withdrawn' | null,
  numbers = Array.from({ length: count }, (_, i) => `+9715${firstNumber + i}`),
): Promise<void> {
  await sql`
    INSERT INTO contacts (migration_id, e164, name, country, line_type, channels, source_rows, batch_no, reachability)
    SELECT ${migrationId}, n.e164, 'Customer ' || n.i, 'AE', 'mobile', ARRAY['sms'], 1, (n.i - 1) / 1000, 'likely'
    FROM unnest(${numbers}::text[]) WITH ORDINALITY AS n(e164, i)`.execute(db);
  const decided = numbers.flatMap((e164) => {
    const decision = decisionOf(e164);
    return decision === null ? [] : [{ e164, decision }];
  });
  await sql`
    INSERT INTO consent_ledger (e164, decision, channel, provider, provider_message_id, address, text, event_at)
    SELECT d.e164, d.decision, 'sms', 'vonage', ${migrationId} || '-' || d.e164, d.e164, 'YES', now() - interval '1 day'
    FROM unnest(${decided.map((d) => d.e164)}::text[], ${decided.map((d) => d.decision)}::text[]) AS d(e164, decision)`.execute(db);
  await sql`
    INSERT INTO consent_states (e164, decision, event_at, ledger_id)
    SELECT e164, decision, event_at, id FROM consent_ledger WHERE provider_message_id LIKE ${`${migrationId}-%`}
    ON CONFLICT (e164) DO NOTHING`.execute(db);
}

async function reportFor(sandbox: Sandbox, rolloutId: string): Promise<RolloutReport> {
  return JSON.parse(await cliOutput(sandbox, ['report', rolloutId, '--json'])) as RolloutReport;
}

/** What `channelshift rollout ARGS` prints, run against the sandbox's database. */
async function cliOutput(sandbox: Sandbox, args: string[]): Promise<string> {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  vi.stubEnv('DATABASE_URL', sandbox.databaseUrl);
  try {
    await rolloutCommand(args);
    return log.mock.calls.map((call) => call.join(' ')).join('\n');
  } finally {
    log.mockRestore();
    vi.unstubAllEnvs();
  }
}

function sorted(rows: Counts[]): Counts[] {
  return [...rows].sort((a, b) => `${a.cohort} ${a.attempt} ${a.channel}`.localeCompare(`${b.cohort} ${b.attempt} ${b.channel}`));
}
