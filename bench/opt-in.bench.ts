// Verification and the opt-in campaign against the emulators at the vendors' published limits: carrier lookups
// per second (Plivo Lookup, Vonage Number Insight), messages per second on each channel (Vonage SMS, Plivo,
// Viber broadcasts, WhatsApp templates), each as a share of what the vendor allows.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time.js';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Kysely } from 'kysely';
import { openDatabase } from '../database/connect.ts';
import type { Database } from '../database/schema.ts';
import { startSandboxEmulators } from '../demo/sandbox-emulators.ts';
import { generateOptInAudience } from '../demo/opt-in-audience.ts';
import { createConnectors } from '../worker/connector-settings.ts';
import { startWebhookServer } from '../worker/webhook-server.ts';
import { webhookRoutes } from '../worker/webhook-routes.ts';
import { createActivities } from '../activities/index.ts';
import { stageSource } from '../test/support/stage-source.ts';
import { PLIVO_LOOKUP_RATE } from '../connectors/plivo/lookup-client.ts';
import { VONAGE_INSIGHT_RATE } from '../connectors/vonage/number-insight-client.ts';
import { VONAGE_SMS_RATE } from '../connectors/vonage/sms-client.ts';
import { PLIVO_SEND_RATE } from '../connectors/plivo/send-client.ts';
import { VIBER_BROADCAST_RATE } from '../connectors/viber/bot-client.ts';
import { WHATSAPP_THROUGHPUT } from '../connectors/whatsapp/cloud-client.ts';
import type { RateLimit } from '../activities/extract/request-budget.ts';
import type { VerifyConfig } from '../workflows/migration-input.ts';

type Activities = ReturnType<typeof createActivities>;

/** Activity attempts a vendor's throttle sent back to wait, as Temporal would retry them. */
let throttled = 0;

async function run<A extends unknown[], R>(activity: (...args: A) => Promise<R>, ...args: A): Promise<R> {
  for (;;) {
    try {
      return await new MockActivityEnvironment().run(activity, ...args);
    } catch (failure) {
      if (!(failure instanceof ApplicationFailure) || failure.nonRetryable) throw failure;
      throttled++;
      await sleep(failure.nextRetryDelay === undefined ? 1000 : msToNumber(failure.nextRetryDelay));
    }
  }
}

async function runOptInBench(scale: { sms: number; viber: number }): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'channelshift-bench-'));
  const audience = await generateOptInAudience(dir, scale, { seed: 2026 });
  const emulators = await startSandboxEmulators({ histories: { vonage: [], plivo: [], viber: audience.viberUsers }, customers: audience.customers, whatsAppMessagingLimit: 1_000_000 });
  const db = await openDatabase(process.env.DATABASE_URL ? { kind: 'postgres', url: process.env.DATABASE_URL } : { kind: 'embedded', dataDir: join(dir, 'pglite') });
  const webhooks = await startWebhookServer({ db, ...webhookRoutes(emulators.settings, 'bench'), port: 0, host: '127.0.0.1' });
  emulators.connectWebhooks(webhooks.url);
  const activities = createActivities({ db, ...createConnectors(emulators.settings), clock: () => new Date() });
  const stamp = Date.now().toString(36);
  try {
    console.log(`\nverification and opt-in at the vendors' published limits, ${audience.numbers.length} customers (${scale.sms} SMS, ${scale.viber} Viber)`);
    // The vendors count in rolling windows: over `seconds`, at most `requests` per started window may go.
    const rate = (label: string, count: number, seconds: number, limit: RateLimit, unit: string) => {
      const allowed = limit.requests * Math.ceil((seconds * 1000) / limit.intervalMs);
      console.log(`  ${label.padEnd(30)} ${String(count).padStart(6)} ${unit} in ${seconds.toFixed(1).padStart(5)} s = ${(count / seconds).toFixed(1).padStart(6)}/s; ${allowed} allowed in that time (${limit.requests} per ${limit.intervalMs / 1000} s): ${((count / allowed) * 100).toFixed(1)}%`);
    };

    for (const [vendor, limit, answered] of [
      ['plivo', PLIVO_LOOKUP_RATE, () => emulators.plivoMessaging.lookupsAnswered()],
      ['vonage', VONAGE_INSIGHT_RATE, () => emulators.vonageMessaging.insightRequests()],
    ] as const) {
      const migrationId = `bench-verify-${vendor}-${stamp}`;
      const batches = await contactsOf(db, activities, migrationId, audience.sources);
      const before = answered();
      throttled = 0;
      const started = performance.now();
      await inWindows(batches, (batchNo) => run(activities.verifyBatch, migrationId, batchNo, { carrierLookup: vendor } satisfies VerifyConfig));
      rate(`${vendor === 'plivo' ? 'Plivo Lookup' : 'Vonage Number Insight'}`, answered() - before, (performance.now() - started) / 1000, limit, 'lookups ');
      console.log(`    batch attempts sent back by a throttle answer: ${throttled}`);
    }

    const migrationId = `bench-verify-plivo-${stamp}`;
    const smsVendorByCountry = { PL: 'plivo' } as const;
    const campaign = { migrationId, campaign: { quietHours: null, smsVendorByCountry } };
    const { batches } = await activities.planCampaign(campaign);
    throttled = 0;
    const started = performance.now();
    await inWindows(batches, (batchNo) => run(activities.sendCampaignStep, migrationId, 'notice', batchNo));
    const seconds = (performance.now() - started) / 1000;
    const span = (times: number[]) => (Math.max(...times) - Math.min(...times)) / 1000 || seconds;
    const vonageSent = emulators.vonageMessaging.sentMessages();
    const plivoSent = emulators.plivoMessaging.sentMessages();
    rate('Vonage SMS (/sms/json)', vonageSent.length, span(vonageSent.map((m) => m.at)), VONAGE_SMS_RATE, 'messages');
    rate('Plivo SMS', plivoSent.length, span(plivoSent.map((m) => m.at)), PLIVO_SEND_RATE, 'messages');
    const broadcasts = new Set(emulators.viber.sentMessages().map((m) => m.messageToken)).size;
    console.log(`  ${'Viber broadcast_message'.padEnd(30)} ${String(emulators.viber.sentMessages().length).padStart(6)} messages in ${broadcasts} calls (≤ 300 receivers each; ${VIBER_BROADCAST_RATE.requests} calls per 10 s allowed, busiest 10 s: ${emulators.viber.maxBroadcastsInAnyWindow(VIBER_BROADCAST_RATE.intervalMs)})`);
    console.log(`    busiest second: Vonage ${emulators.vonageMessaging.maxSendsInAnyWindow(1000)} (limit ${VONAGE_SMS_RATE.requests}), Plivo ${emulators.plivoMessaging.maxSendsInAnyWindow(1000)} (limit ${PLIVO_SEND_RATE.requests}); batch attempts sent back by a throttle answer: ${throttled}`);

    // Everyone says yes at once (after the customers' own answers, so a late STOP does not undo it): the welcome
    // template goes out as fast as the number's throughput allows.
    await emulators.settled();
    await db
      .insertInto('consent_states')
      .columns(['e164', 'decision', 'event_at', 'ledger_id'])
      .expression((e) => e.selectFrom('campaign_recipients').select(['e164', (f) => f.val('granted').as('decision'), (f) => f.fn('now', []).as('event_at'), (f) => f.val(0).as('ledger_id')]).where('campaign_id', '=', migrationId))
      .onConflict((oc) => oc.column('e164').doUpdateSet({ decision: 'granted' }))
      .execute();
    throttled = 0;
    const welcomeStarted = performance.now();
    while ((await run(activities.activateConsenting, migrationId)).more);
    const welcomes = emulators.whatsApp.sentMessages();
    rate('WhatsApp welcome templates', welcomes.length, (performance.now() - welcomeStarted) / 1000, WHATSAPP_THROUGHPUT, 'messages');
    console.log(`    busiest second: ${emulators.whatsApp.maxAcceptedInAnyWindow(1000)} (limit ${WHATSAPP_THROUGHPUT.requests}); ${emulators.whatsApp.refusals().length} requests refused; attempts sent back: ${throttled}`);
  } finally {
    await emulators.settled();
    await webhooks.close();
    await emulators.close();
    await db.destroy();
  }
}

/** Stages, cleans, merges and plans the audience under a migration id; returns its batch count. */
async function contactsOf(db: Kysely<Database>, activities: Activities, migrationId: string, sources: Parameters<typeof stageSource>[2][]): Promise<number> {
  for (const source of sources) await stageSource(db, migrationId, source);
  await run(activities.normalizeStagedRows, migrationId, {});
  await activities.mergeContacts(migrationId);
  return (await activities.planBatches(migrationId, 1000, 'bench')).batches;
}

/** Batches side by side, as the workflow runs them (its default window of 4). */
async function inWindows(batches: number, work: (batchNo: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (next < batches) await work(next++);
  }));
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { sms: { type: 'string', default: '1200' }, viber: { type: 'string', default: '600' } } });
  await runOptInBench({ sms: Number(values.sms), viber: Number(values.viber) });
}
