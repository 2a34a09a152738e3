import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startOrAttach } from '../cli/follow-migration.ts';
import { signPlivoV3 } from '../connectors/plivo/webhook-signature.ts';
import { signViberBody } from '../connectors/viber/content-signature.ts';
import { signWhatsAppBody } from '../connectors/whatsapp/webhook-signature.ts';
import { customerBaseColumns, writeCustomerBase } from '../demo/customer-base.ts';
import { generateOptInAudience } from '../demo/opt-in-audience.ts';
import { startMetricsServer, type MetricsServer } from '../metrics/metrics-server.ts';
import { createWorkerMetrics, type WorkerMetrics } from '../metrics/worker-metrics.ts';
import { encryptingDataConverter } from '../privacy/data-converter.ts';
import { createConnectors, type ConnectorSettings } from '../worker/connector-settings.ts';
import { createMigrationWorker } from '../worker/migration-worker.ts';
import { webhookPaths } from '../worker/webhook-server.ts';
import type { MigrationInput } from '../workflows/migration-input.ts';
import type { MigrationSummary } from '../workflows/migration-progress.ts';
import { openSandbox, type Sandbox } from './support/sandbox.ts';
import { signedVonageReply } from './support/vonage-reply.ts';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus's text format, one sample a line (label values here hold no quotes or commas). */
function parseSamples(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`not a sample line: ${line}`);
      const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map(([, name, value]) => [name!, value!]));
      return { name: match[1]!, labels, value: Number(match[3]) };
    });
}

/** The sum of the samples named `name` whose labels include `labels`. */
function total(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((sample) => sample.name === name && Object.entries(labels).every(([label, value]) => sample.labels[label] === value))
    .reduce((sum, sample) => sum + sample.value, 0);
}

describe("the worker's Prometheus metrics, scraped over HTTP after a migration with an opt-in campaign", () => {
  let sandbox: Sandbox;
  let metrics: WorkerMetrics;
  let server: MetricsServer;
  let stopWorker: () => Promise<void>;
  let input: MigrationInput;
  let summary: MigrationSummary;
  let samples: Sample[];
  /** The bad webhooks the test sends, by vendor and signature verdict. */
  const forged = { vonage: { invalid: 2, missing: 1 }, plivo: { invalid: 1, missing: 1 }, whatsapp: { invalid: 1, missing: 1 }, viber: { invalid: 1, missing: 1 } };

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'worker-metrics-'));
    // Markets no other test's audience uses: consent belongs to a number, whichever migration holds it.
    const audience = await generateOptInAudience(dir, { sms: 120, viber: 40 }, { seed: 83, maxDelayMs: 500, markets: ['IT', 'NL', 'SE'] });
    const exportPath = join(dir, 'crm-export.csv');
    await writeCustomerBase(exportPath, 200, 4242);
    sandbox = await openSandbox({
      histories: { vonage: [], plivo: [], viber: audience.viberUsers },
      customers: audience.customers,
      // Vonage at 40 SMS a second: the client waits for room, and the metrics show it.
      // WhatsApp at 10 a second: the welcomes to a burst of Viber and Plivo yeses go faster than that, and Meta throttles them.
      sendRates: { vonageSms: 40, plivoSms: 200, whatsApp: 10 },
      whatsAppMessagingLimit: 100_000,
    });
    // A business that set WHATSAPP_THROUGHPUT above its number's: Meta answers the welcomes beyond it 429.
    const settings: ConnectorSettings = {
      ...sandbox.emulators.settings,
      whatsApp: { ...sandbox.emulators.settings.whatsApp!, throughput: { requests: 1000, intervalMs: 1000 } },
    };
    metrics = createWorkerMetrics({ db: sandbox.db, settings, vendorOrigins: { [sandbox.emulators.salesforce.instanceUrl]: 'salesforce' } });
    server = await startMetricsServer({ registry: metrics.registry, port: 0, host: '127.0.0.1' });
    const { worker, run } = await createMigrationWorker({
      temporal: sandbox.temporal,
      dataConverter: encryptingDataConverter(sandbox.codecKeys),
      workflowBundle: { codePath: inject('workflowBundlePath') },
      dependencies: { db: sandbox.db, ...createConnectors(settings), clock: () => new Date() },
      activityInterceptors: metrics.activityInterceptors,
    });
    const running = run();
    stopWorker = async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    };

    input = {
      migrationId: `metrics-${randomUUID().slice(0, 8)}`,
      sources: [...audience.sources, { kind: 'csv', name: 'crm-export', path: exportPath, columns: customerBaseColumns }],
      verify: { contactsCheck: true },
      optIn: { window: '12s', reminderAfter: '4s', quietHours: null, smsVendorByCountry: { SE: 'plivo' }, activationTimeout: '10s', unconfirmedResendAfter: '30s' },
      crms: ['hubspot', 'salesforce'],
    };
    summary = await (await startOrAttach(sandbox.client, sandbox.temporal.taskQueue, input)).result();
    await sandbox.emulators.settled();
    await sendForgedWebhooks(sandbox);

    const scrape = await fetch(server.url);
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    samples = parseSamples(await scrape.text());
  }, 300_000);
  afterAll(async () => {
    await stopWorker?.();
    await server?.close();
    metrics?.close();
    await sandbox?.close();
  });

  it('shows each stage of the migration with the counts of its summary', () => {
    const stage = (name: string, crm?: string) => total(samples, 'channelshift_contacts', { migration: input.migrationId, stage: name, ...(crm ? { crm } : {}) });
    expect(summary.stage).toBe('done');
    expect(summary.optIn!.granted).toBeGreaterThan(0);
    expect({
      staged: stage('staged'),
      cleaned: stage('cleaned'),
      verified: stage('verified'),
      consented: stage('consented'),
      active: stage('active'),
      syncedToHubSpot: stage('synced', 'hubspot'),
      syncedToSalesforce: stage('synced', 'salesforce'),
    }).toEqual({
      staged: summary.extracted,
      cleaned: summary.contacts,
      verified: summary.verified,
      consented: summary.optIn!.granted,
      active: summary.optIn!.active,
      syncedToHubSpot: summary.contacts,
      syncedToSalesforce: summary.contacts,
    });
    expect(summary.syncFailed).toBe(0);
    expect(sandbox.hubspot.records()).toHaveLength(summary.contacts);
  });

  it('shows the rejected rows by reason as the data-quality report does', () => {
    const rejected = samples.filter((s) => s.name === 'channelshift_rejected_rows' && s.labels.migration === input.migrationId);
    expect(summary.rejected).toBeGreaterThan(0);
    expect(Object.fromEntries(rejected.map((s) => [s.labels.reason, s.value]))).toEqual(summary.quality.rejectedByReason);
    // The generated audience's numbers are all good: the rejects are the CRM export's.
    expect(new Set(rejected.map((s) => s.labels.source))).toEqual(new Set(['crm-export']));
  });

  it('counts the requests to each vendor, and the 429s of one throttling', () => {
    const requests = (vendor: string, status?: string) => total(samples, 'channelshift_vendor_requests_total', { vendor, ...(status ? { status } : {}) });
    const { hubspot, whatsApp, vonageMessaging, plivoMessaging, viber } = sandbox.emulators;
    expect(requests('hubspot')).toBe(hubspot.requestCount() + hubspot.tokenRequests());
    expect(requests('salesforce')).toBeGreaterThan(0);
    expect(requests('whatsapp-contacts', '200')).toBeGreaterThan(0);
    expect(requests('vonage', '200')).toBeGreaterThanOrEqual(vonageMessaging.sentMessages().length);
    expect(requests('plivo')).toBeGreaterThanOrEqual(plivoMessaging.sentMessages().length);
    // One broadcast_message reaches up to 300 subscribers.
    expect(requests('viber', '200')).toBeGreaterThanOrEqual(Math.ceil(viber.sentMessages().length / 300));
    expect(requests('whatsapp', '200')).toBeGreaterThanOrEqual(whatsApp.sentMessages().length);

    const throttledByMeta = whatsApp.refusals().filter((refusal) => refusal.status === 429).length;
    expect(throttledByMeta).toBeGreaterThan(0);
    expect(total(samples, 'channelshift_vendor_throttled_total', { vendor: 'whatsapp' })).toBe(throttledByMeta);
    expect(requests('whatsapp', '429')).toBe(throttledByMeta);
  });

  it('shows how long requests waited for room under a vendor rate', () => {
    const sent = sandbox.emulators.vonageMessaging.sentMessages().length;
    expect(sent).toBeGreaterThan(40);
    expect(total(samples, 'channelshift_rate_limit_wait_seconds_count', { limit: 'vonage-sms' })).toBeGreaterThanOrEqual(sent);
    // More than a second's worth of SMS at 40 a second: some had to wait.
    expect(total(samples, 'channelshift_rate_limit_wait_seconds_sum', { limit: 'vonage-sms' })).toBeGreaterThan(0);
    expect(total(samples, 'channelshift_rate_limit_wait_seconds_count', { limit: 'whatsapp-throughput' })).toBeGreaterThanOrEqual(sandbox.emulators.whatsApp.sentMessages().length);
  });

  it('counts webhook events by vendor, type and signature', async () => {
    const events = (labels: Record<string, string>) => total(samples, 'channelshift_webhook_events_total', labels);
    for (const [vendor, verdicts] of Object.entries(forged)) {
      expect({ vendor, invalid: events({ vendor, signature: 'invalid' }), missing: events({ vendor, signature: 'missing' }) }).toEqual({ vendor, ...verdicts });
    }
    const replies = await sandbox.db
      .selectFrom('inbound_messages')
      .select(['provider', (eb) => eb.fn.countAll<number>().as('n')])
      .where('campaign_id', '=', input.migrationId)
      .groupBy('provider')
      .execute();
    const repliesBy = Object.fromEntries(replies.map((r) => [r.provider, Number(r.n)]));
    expect(repliesBy.vonage).toBeGreaterThan(0);
    expect(repliesBy.viber).toBeGreaterThan(0);
    // Every stored reply came through a route that counted it (a vendor's redelivery counts again).
    expect(events({ vendor: 'vonage', type: 'inbound', signature: 'valid' })).toBeGreaterThanOrEqual(repliesBy.vonage!);
    expect(events({ vendor: 'plivo', type: 'inbound', signature: 'valid' })).toBeGreaterThanOrEqual(repliesBy.plivo ?? 0);
    expect(events({ vendor: 'viber', type: 'message', signature: 'valid' })).toBeGreaterThanOrEqual(repliesBy.viber!);
    expect(events({ vendor: 'vonage', type: 'delivery-receipt', signature: 'valid' })).toBeGreaterThan(0);
    // Each welcome Meta took has at least one status.
    expect(events({ vendor: 'whatsapp', type: 'status', signature: 'valid' })).toBeGreaterThanOrEqual(sandbox.emulators.whatsApp.sentMessages().length);
  });

  it('shows how long after its own timestamp each recorded webhook event was recorded', () => {
    const lags = (vendor: string) => total(samples, 'channelshift_webhook_recording_lag_seconds_count', { vendor });
    const statuses = total(samples, 'channelshift_webhook_events_total', { vendor: 'whatsapp', type: 'status', signature: 'valid' });
    expect(lags('whatsapp')).toBeGreaterThanOrEqual(statuses);
    expect(lags('vonage')).toBeGreaterThan(0);
    expect(lags('viber')).toBeGreaterThan(0);
    expect(total(samples, 'channelshift_webhook_recording_lag_seconds_sum', { vendor: 'vonage' })).toBeGreaterThan(0);
  });

  it("times every activity attempt, the throttled welcomes' failed ones too", () => {
    const attempts = (activity: string, outcome: string) => total(samples, 'channelshift_activity_duration_seconds_count', { activity, outcome });
    expect(attempts('verifyBatch', 'completed')).toBe(summary.batches);
    expect(attempts('mergeContacts', 'completed')).toBe(1);
    expect(attempts('normalizeStagedRows', 'completed')).toBeGreaterThanOrEqual(1);
    expect(attempts('syncCrmChanges', 'completed')).toBeGreaterThanOrEqual(2);
    expect(attempts('sendCampaignStep', 'completed')).toBeGreaterThanOrEqual(2);
    expect(attempts('activateConsenting', 'failed')).toBeGreaterThanOrEqual(1);
    expect(total(samples, 'channelshift_activity_duration_seconds_sum', { activity: 'verifyBatch' })).toBeGreaterThan(0);
  });

  it('serves only /metrics', async () => {
    expect((await fetch(server.url.replace('/metrics', '/'))).status).toBe(404);
    expect((await fetch(server.url, { method: 'POST' })).status).toBe(405);
  });

  /** Webhooks a vendor did not sign: a wrong secret, or no signature at all. */
  async function sendForgedWebhooks(sandbox: Sandbox): Promise<void> {
    const post = (path: string, body: string | URLSearchParams, headers: Record<string, string> = {}) =>
      fetch(sandbox.webhooks.url + path, { method: 'POST', body, headers });
    const { vonageMessaging, whatsApp, viber } = sandbox.emulators;
    const msisdn = '390212345678';
    const vonageReply = (secret: string) => signedVonageReply(msisdn, 'YES', secret, vonageMessaging.signatureMethod);
    const unsignedVonageReply = vonageReply(vonageMessaging.signatureSecret);
    unsignedVonageReply.delete('sig');
    const plivoReply = () => new URLSearchParams({ From: msisdn, To: '447700900123', Text: 'YES', Type: 'sms', MessageUUID: randomUUID() });
    const status = JSON.stringify({ object: 'whatsapp_business_account', entry: [] });
    const viberMessage = JSON.stringify({ event: 'message', timestamp: Date.now(), message_token: '5741311803571721087', sender: { id: 'forged==' }, message: { type: 'text', text: 'YES' } });
    const answers = await Promise.all([
      post(webhookPaths.vonageInbound, vonageReply('not-the-secret')),
      post(webhookPaths.vonageInbound, vonageReply('another-wrong-secret')),
      post(webhookPaths.vonageInbound, unsignedVonageReply),
      post(webhookPaths.plivoInbound, plivoReply(), {
        'x-plivo-signature-v3': signPlivoV3({ url: sandbox.webhooks.url + webhookPaths.plivoInbound, params: [], nonce: '1', authToken: 'wrong' }),
        'x-plivo-signature-v3-nonce': '1',
      }),
      post(webhookPaths.plivoInbound, plivoReply()),
      post(webhookPaths.whatsApp, status, { 'x-hub-signature-256': signWhatsAppBody('{}', whatsApp.appSecret) }),
      post(webhookPaths.whatsApp, status, { 'content-type': 'application/json' }),
      post(webhookPaths.viber, viberMessage, { 'x-viber-content-signature': signViberBody('{}', viber.authToken) }),
      post(webhookPaths.viber, viberMessage),
    ]);
    expect(answers.map((answer) => answer.status)).toEqual([401, 401, 401, 401, 401, 401, 401, 403, 403]);
  }
});
