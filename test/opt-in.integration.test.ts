import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARABIC_MARKETS } from '../demo/customer-base.ts';
import { generateOptInAudience, type OptInAudience } from '../demo/opt-in-audience.ts';
import { builtInTexts, campaignWorkflowId } from '../workflows/opt-in-campaign-input.ts';
import { campaignProgressQuery, moveOnSignal } from '../workflows/opt-in-campaign.ts';
import type { MigrationInput } from '../workflows/migration-input.ts';
import { startOrAttach } from '../cli/follow-migration.ts';
import { openSandbox, type Sandbox } from './support/sandbox.ts';
import { until } from './support/until.ts';
import { onRecordingLag } from '../metrics/webhook-recording-lag.ts';

const CUSTOMERS = { sms: 7000, viber: 3000 };

describe('an opt-in campaign to 10,000 emulated customers', () => {
  let sandbox: Sandbox;
  let audience: OptInAudience;
  let input: MigrationInput;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opt-in-'));
    audience = await generateOptInAudience(dir, CUSTOMERS, { seed: 51, maxDelayMs: 3000, markets: [...ARABIC_MARKETS, 'GB', 'DE', 'FR', 'ES', 'US'] });
    sandbox = await openSandbox({
      histories: { vonage: [], plivo: [], viber: audience.viberUsers },
      customers: audience.customers,
      // The published rates would make this a long test; the clients keep to these as they would to those.
      sendRates: { vonageSms: 1500, plivoSms: 1500, whatsApp: 1000 },
      whatsAppMessagingLimit: 100_000,
    });
    input = {
      migrationId: `opt-in-${Date.now().toString(36)}`,
      sources: audience.sources,
      // Days in production; seconds here, on the same durable timers.
      optIn: {
        // Days in production. Here the test moves the campaign on once every reply to the step before is in: the
        // vendors' webhook queues, not the timers, decide when that is, and a loaded machine makes them slow.
        window: '2h',
        reminderAfter: '1h',
        quietHours: null,
        smsVendorByCountry: { GB: 'plivo', DE: 'plivo', FR: 'plivo', ES: 'plivo', PL: 'plivo', US: 'plivo' },
        activationTimeout: '30s',
        // A loaded machine can hold a receipt back for longer than 10 s; a resend before it comes reaches the customer twice.
        unconfirmedResendAfter: '30s',
      },
    };
  }, 120_000);
  afterAll(async () => sandbox.close());

  it('ends with a consent ledger that matches what the customers said, and welcomes on WhatsApp only those who said yes', async () => {
    const mostLag = new Map<string, number>();
    const stopListening = onRecordingLag(({ vendor, seconds }) => mostLag.set(vendor, Math.max(mostLag.get(vendor) ?? 0, seconds)));
    const stop = await sandbox.startWorker();
    const migration = await startOrAttach(sandbox.client, sandbox.temporal.taskQueue, input);
    const campaign = sandbox.client.workflow.getHandle(campaignWorkflowId(input.migrationId));
    const oldChannels = [sandbox.emulators.vonageMessaging, sandbox.emulators.plivoMessaging, sandbox.emulators.viber];
    for (const [phase, move] of [['waiting', 'remind'], ['closing', 'close']] as const) {
      await until(async () => (await campaign.query(campaignProgressQuery).catch(() => undefined))?.phase === phase, `the campaign's ${phase} phase`, 300_000);
      // Every receipt and reply to the step's messages has reached the webhook receiver, answered once recorded.
      await Promise.all(oldChannels.map((emulator) => emulator.settled()));
      await campaign.signal(moveOnSignal, move);
    }
    const summary = await migration.result();
    await stop();
    await sandbox.emulators.settled();
    stopListening();
    console.log(`Webhook events recorded at most this long after their vendor's timestamp: ${[...mostLag].map(([vendor, seconds]) => `${vendor} ${seconds.toFixed(1)} s`).join(', ')}`);

    const ledger = await sandbox.db.selectFrom('consent_ledger').select(['e164', 'decision', 'text', 'channel']).where('campaign_id', '=', input.migrationId).execute();
    const granted = ledger.filter((e) => e.decision === 'granted').map((e) => e.e164);
    const withdrawn = ledger.filter((e) => e.decision === 'withdrawn').map((e) => e.e164);
    // Every yes recorded once, every STOP recorded once, nothing guessed from the other replies.
    expect(new Set(granted)).toEqual(audience.truth.yes);
    expect(granted).toHaveLength(audience.truth.yes.size);
    expect(new Set(withdrawn)).toEqual(audience.truth.stop);
    expect(withdrawn).toHaveLength(audience.truth.stop.size);
    expect(ledger.every((e) => e.text.length > 0 && (e.channel === 'sms' || e.channel === 'viber'))).toBe(true);

    // The WhatsApp emulator's log: the welcome went to every yes, once, and to nobody else.
    const welcomed = sandbox.emulators.whatsApp.sentMessages().map((m) => m.to);
    expect(welcomed).toHaveLength(audience.truth.yes.size);
    expect(new Set(welcomed)).toEqual(audience.truth.yes);

    // The old channels' logs: one notice each, a reminder only to the undecided, nothing after a STOP.
    const received = new Map<string, string[]>();
    const note = (address: string, text: string) => received.set(address, [...(received.get(address) ?? []), text]);
    for (const m of sandbox.emulators.vonageMessaging.sentMessages()) note(m.to, m.text);
    for (const m of sandbox.emulators.plivoMessaging.sentMessages()) note(m.dst, m.text);
    const phoneOfViberId = new Map(audience.viberUsers.map((u) => [u.id, u.phone!]));
    for (const m of sandbox.emulators.viber.sentMessages()) note(phoneOfViberId.get(m.receiver)!, m.text);
    expect(received.size).toBe(CUSTOMERS.sms + CUSTOMERS.viber);
    const reminderTexts = new Set(Object.values(builtInTexts).map((t) => t.reminder));
    const isReminder = (text: string) => reminderTexts.has(text);
    for (const [number, texts] of received) {
      const reminders = texts.filter(isReminder).length;
      expect(texts.length - reminders, `notices to one customer`).toBe(1);
      if (audience.truth.stop.has(number)) expect(reminders, 'a reminder after STOP').toBe(0);
      expect(reminders).toBeLessThanOrEqual(1);
    }

    // Delivery settles who is on WhatsApp: delivered or read → active, 131026 → stays on the old channel.
    const contacts = await sandbox.db.selectFrom('contacts').select(['e164', 'whatsapp_state', 'wa_id']).where('migration_id', '=', input.migrationId).execute();
    const stateOf = new Map(contacts.map((c) => [c.e164, c]));
    for (const number of audience.truth.yes) {
      const contact = stateOf.get(number)!;
      expect(contact.whatsapp_state).toBe(audience.onWhatsApp.has(number) ? 'active' : 'not_on_whatsapp');
      if (audience.onWhatsApp.has(number)) expect(contact.wa_id).toBe(number.slice(1));
    }
    expect(contacts.filter((c) => c.whatsapp_state !== null)).toHaveLength(audience.truth.yes.size);

    expect(summary.optIn).toMatchObject({
      recipients: CUSTOMERS.sms + CUSTOMERS.viber,
      notices: CUSTOMERS.sms + CUSTOMERS.viber,
      granted: audience.truth.yes.size,
      withdrawn: audience.truth.stop.size,
      undecided: audience.truth.undecided.size,
      welcomes: audience.truth.yes.size,
    });
    expect(summary.optIn!.active + summary.optIn!.notOnWhatsApp).toBe(audience.truth.yes.size);

    // Thousands of replies went through the campaign's history as signals: none of them carried a number or a word.
    // Temporal's own names for its events are left out: a timer the operator's signal ended is EVENT_TYPE_TIMER_CANCELED, not a customer's CANCEL.
    const history = JSON.stringify(await sandbox.client.workflow.getHandle(campaignWorkflowId(input.migrationId)).fetchHistory(), (key, value: unknown) =>
      key === 'eventType' ? undefined : value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : value,
    );
    expect(audience.numbers.filter((number) => history.includes(number.slice(1)))).toEqual([]);
    expect(ledger.filter((entry) => entry.text.length > 3 && history.includes(entry.text))).toEqual([]);
    // Ten thousand customers' replies, receipts and statuses: longer than the suite's usual limit when tests share the machine.
  }, 600_000);
});
