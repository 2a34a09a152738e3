import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { chromium } from 'playwright-core';
import { reportCommand } from '../cli/commands/report.ts';
import { startOrAttach } from '../cli/follow-migration.ts';
import { emulatedCustomers } from '../connectors/emulated-customers.ts';
import { buildRolloutReport } from '../activities/rollout/rollout-report.ts';
import { ARABIC_NAMES, LATIN_NAMES, customerBaseColumns, writeCustomerBase, type CustomerBaseTruth } from '../demo/customer-base.ts';
import { demoCampaign } from '../demo/demo-campaign.ts';
import { scriptKnownCustomers } from '../demo/opt-in-audience.ts';
import { generateSourceHistories, VONAGE_ACCOUNT, type SourceHistories } from '../demo/source-histories.ts';
import type { MigrationInput } from '../workflows/migration-input.ts';
import type { MigrationSummary } from '../workflows/migration-progress.ts';
import { builtInTexts } from '../workflows/opt-in-campaign-input.ts';
import { scenarioRolloutWorkflow } from '../workflows/scenario-rollout.ts';
import { rolloutWorkflowId, type ScenarioRolloutInput } from '../workflows/scenario-rollout-input.ts';
import { openSandbox, type Sandbox } from './support/sandbox.ts';

const DAY = 86_400_000;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const NEWSLETTER_TEMPLATE = { name: 'monthly_newsletter', language: 'en', bodyParameters: 1 };

describe('the migration report of a demo run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'migration-report-'));
  const stamp = Date.now().toString(36);
  let sandbox: Sandbox;
  let base: CustomerBaseTruth;
  let histories: SourceHistories;
  let input: MigrationInput;
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install it with \`apt-get install chromium\`, or name another with CHROMIUM_PATH`);
    // The demo's four sources, small: a CRM export with unusable numbers, Vonage and Plivo history, Viber subscribers.
    const file = join(dir, 'customers.csv');
    base = await writeCustomerBase(file, 300, 4242);
    const to = new Date(Math.floor(Date.now() / DAY) * DAY);
    const from = new Date(to.getTime() - 3 * DAY);
    histories = generateSourceHistories({ vonageRecords: 200, plivoMessages: 40, viberSubscribers: 80, from, days: 3, seed: 4242 });
    const customers = scriptKnownCustomers([...base.numbers, ...histories.truth.numbers], histories.viber, { seed: 4242, maxDelayMs: 1500 });
    sandbox = await openSandbox({
      histories,
      plivoWindowMs: 1000,
      customers: emulatedCustomers(customers.scripts),
      sendRates: { vonageSms: 250, plivoSms: 250, whatsApp: 250 },
      whatsAppMessagingLimit: 100_000,
      whatsApp: { templates: [NEWSLETTER_TEMPLATE], statuses: { readRate: 0.6, seed: 5 } },
    });
    const period = { from: from.toISOString(), to: to.toISOString() };
    input = {
      migrationId: `report-${stamp}`,
      sources: [
        { kind: 'csv', name: 'crm-export', path: file, columns: customerBaseColumns },
        { kind: 'vonage', name: 'vonage-sms', accountId: VONAGE_ACCOUNT, ...period },
        { kind: 'plivo', name: 'plivo-sms', ...period },
        { kind: 'viber', name: 'viber-bot', bot: sandbox.viberBot },
      ],
      optIn: demoCampaign,
    };
  }, 120_000);
  afterAll(async () => sandbox?.close());

  it('writes a page Chromium shows without the network, whose figures are the run summary', async () => {
    const stop = await sandbox.startWorker();
    const callbacks = await sandbox.emulators.viber.deliverCallbacks(`${sandbox.webhooks.url}/webhooks/viber`);
    expect(callbacks.refused).toBe(0);
    const summary = await (await startOrAttach(sandbox.client, sandbox.temporal.taskQueue, input)).result();
    const rollout: ScenarioRolloutInput = {
      rolloutId: `report-ab-${stamp}`,
      migrationId: input.migrationId,
      scenarios: [
        {
          id: 'newsletter',
          stage: 'non-critical',
          whatsApp: { template: { name: NEWSLETTER_TEMPLATE.name, language: 'en', variables: [{ field: 'first_name', ifMissing: 'there' }] } },
          oldChannel: { text: 'Hi {{first_name}}, our newsletter is out.' },
          cohorts: [
            { name: 'whatsapp', channel: 'whatsapp', percent: 50 },
            { name: 'control', channel: 'old', percent: 50 },
          ],
        },
      ],
      smsVendorByCountry: input.optIn!.smsVendorByCountry,
      unconfirmedResendAfter: '10s',
    };
    await sandbox.client.workflow.execute(scenarioRolloutWorkflow, { workflowId: rolloutWorkflowId(rollout.rolloutId), taskQueue: sandbox.temporal.taskQueue, args: [rollout] });
    await stop();
    await sandbox.emulators.settled();

    // A demo-like run: rejects, several countries, consents both ways, and customers active on WhatsApp.
    expect(Object.keys(summary.quality.rejectedByReason).length).toBeGreaterThanOrEqual(2);
    expect(Object.keys(summary.quality.contactsByCountry).length).toBeGreaterThanOrEqual(5);
    expect(summary.contacts).toBeGreaterThan(300);
    expect(summary.optIn!.withdrawn).toBeGreaterThan(0);
    expect(summary.optIn!.active).toBeGreaterThan(0);

    const out = join(dir, 'report.html');
    await writeReport(sandbox, [input.migrationId, '--out', out]);
    const html = readFileSync(out, 'utf8');
    // Self-contained, and figures only: no address to fetch, no customer's number, name or message.
    expect(html).not.toMatch(/https?:|<script|<link|<img|@import|url\(/i);
    const numbers = [...base.numbers, ...histories.truth.numbers];
    expect(numbers.filter((e164) => html.includes(e164.slice(1)))).toEqual([]);
    expect([...ARABIC_NAMES, ...LATIN_NAMES].filter((name) => html.includes(name))).toEqual([]);
    expect(Object.values(builtInTexts).filter((texts) => html.includes(texts.notice))).toEqual([]);

    const page = await openInChromium(out, join(dir, 'report.png'));
    expect(page.blocked, 'requests the page tried to make').toEqual([]);
    const png = readFileSync(page.screenshot);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    // A full page of charts: wider than the viewport's content column and several screens tall, not a blank frame.
    expect(png.readUInt32BE(16)).toBeGreaterThanOrEqual(1000);
    expect(png.readUInt32BE(20)).toBeGreaterThan(2000);
    expect(png.length).toBeGreaterThan(50_000);

    const figure = figureReader(page.figures);
    expectSummaryFigures(figure, summary);
    // Rows of a breakdown add up to the campaign's totals; consent over time adds up to its decisions.
    expect(figure.sum(/^country\..+\.consented$/)).toBe(summary.optIn!.granted);
    expect(figure.sum(/^country\..+\.active$/)).toBe(summary.optIn!.active);
    expect(figure.sum(/^channel\..+\.contacts$/)).toBe(summary.contacts);
    expect(figure.sum(/^channel\..+\.consented$/)).toBe(summary.optIn!.granted);
    expect(figure.sum(/^consent\..+\.granted$/)).toBe(summary.optIn!.granted);
    expect(figure.sum(/^consent\..+\.withdrawn$/)).toBe(summary.optIn!.withdrawn);

    // The A/B figures are the rollout's own report.
    const ab = await buildRolloutReport(sandbox.db, rollout.rolloutId);
    const key = `ab.${rollout.rolloutId}.newsletter`;
    expect(figure.get(`ab.${rollout.rolloutId}.audience`)).toBe(ab.audience);
    const cohorts = ab.scenarios[0]!.cohorts;
    expect(cohorts.some((c) => c.outcomes.some((o) => o.channel === 'whatsapp' && o.sent > 0))).toBe(true);
    for (const cohort of cohorts) {
      expect(figure.get(`${key}.${cohort.cohort}.audience`)).toBe(cohort.audience);
      for (const o of cohort.outcomes) {
        const line = `${key}.${cohort.cohort}.${o.channel}${o.attempt === 'fallback' ? '-fallback' : ''}`;
        expect([figure.get(`${line}.sent`), figure.get(`${line}.delivered`), figure.get(`${line}.replied`)]).toEqual([o.sent, o.delivered, o.replied]);
        if (o.deliveryRate !== null) expect(figure.get(`${line}.deliveryRate`)).toBeCloseTo(o.deliveryRate * 100, 1);
      }
    }
    console.log(`report ${out}, screenshot ${page.screenshot}: ${page.figures.length} figures`);
  }, 300_000);

  it('says so when the migration has no data', async () => {
    await expect(writeReport(sandbox, ['no-such-migration', '--out', join(dir, 'none.html')])).rejects.toThrow('no data for migration "no-such-migration"');
    expect(existsSync(join(dir, 'none.html'))).toBe(false);
  });
});

/** `channelshift report ARGS` against the sandbox's database. */
async function writeReport(sandbox: Sandbox, args: string[]): Promise<void> {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  vi.stubEnv('DATABASE_URL', sandbox.databaseUrl);
  try {
    await reportCommand(args);
  } finally {
    log.mockRestore();
    vi.unstubAllEnvs();
  }
}

/**
 * Opens the file in headless Chromium with a fresh profile, every request other than the file itself blocked and
 * recorded; takes a full-page screenshot and reads every `data-figure` element's text.
 */
async function openInChromium(file: string, screenshot: string): Promise<{ blocked: string[]; figures: [string, string][]; screenshot: string }> {
  const url = pathToFileURL(file).href;
  const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'chromium-profile-')), {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport: { width: 1200, height: 900 },
  });
  try {
    const blocked: string[] = [];
    await context.route('**/*', (route) => {
      if (route.request().url() === url) return route.continue();
      blocked.push(route.request().url());
      return route.abort();
    });
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(url, { waitUntil: 'load' });
    await page.screenshot({ path: screenshot, fullPage: true });
    const figures = await page.$$eval('[data-figure]', (elements) => elements.map((e): [string, string] => [e.getAttribute('data-figure')!, e.textContent ?? '']));
    return { blocked, figures, screenshot };
  } finally {
    await context.close();
  }
}

/** The figures by name, as numbers ("1,234" → 1234, "85.3%" → 85.3); a figure shown twice must read the same. */
function figureReader(figures: [string, string][]) {
  const values = new Map<string, number>();
  for (const [name, text] of figures) {
    const value = Number(text.replace(/[,%\s]/g, ''));
    expect(Number.isFinite(value), `figure ${name} reads "${text}"`).toBe(true);
    if (values.has(name)) expect(value, `figure ${name} shown twice`).toBe(values.get(name));
    values.set(name, value);
  }
  return {
    get(name: string): number | undefined {
      return values.get(name);
    },
    /** Name → value of the figures whose name matches, with the prefix and suffix the pattern names left out. */
    matching(pattern: RegExp, strip: [string, string]): Record<string, number> {
      return Object.fromEntries([...values].filter(([name]) => pattern.test(name)).map(([name, value]) => [name.slice(strip[0].length, name.length - strip[1].length), value]));
    },
    sum(pattern: RegExp): number {
      return [...values].filter(([name]) => pattern.test(name)).reduce((sum, [, value]) => sum + value, 0);
    },
  };
}

function expectSummaryFigures(figure: ReturnType<typeof figureReader>, s: MigrationSummary): void {
  const o = s.optIn!;
  const expected: Record<string, number> = {
    extracted: s.extracted,
    quarantined: s.quarantined,
    valid: s.valid,
    rejected: s.rejected,
    duplicatesMerged: s.quality.duplicatesMerged,
    contacts: s.contacts,
    verified: s.verified,
    likely: s.likely,
    unlikely: s.unlikely,
    reachUnknown: s.reachUnknown,
    reengage: s.reengage,
    recipients: o.recipients,
    notices: o.notices,
    reminders: o.reminders,
    refused: o.refused,
    granted: o.granted,
    withdrawn: o.withdrawn,
    undecided: o.undecided,
    welcomes: o.welcomes,
    active: o.active,
    notOnWhatsApp: o.notOnWhatsApp,
    activationFailed: o.activationFailed,
    activationUnknown: o.activationUnknown,
  };
  expect(figure.matching(/^funnel\./, ['funnel.', ''])).toEqual(expected);
  expect(figure.matching(/^source\..+\.rows$/, ['source.', '.rows'])).toEqual(Object.fromEntries(Object.entries(s.sources).map(([name, source]) => [name, source.rows])));
  expect(figure.matching(/^rejects\./, ['rejects.', ''])).toEqual(s.quality.rejectedByReason);
  expect(figure.matching(/^country\..+\.contacts$/, ['country.', '.contacts'])).toEqual(s.quality.contactsByCountry);
}
