import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOrAttach } from '../cli/follow-migration.ts';
import { generateOptInAudience, type OptInAudience } from '../demo/opt-in-audience.ts';
import { LOOKUPS_IN_FLIGHT } from '../activities/verify/verify-batch.ts';
import { migrationDefaults } from '../workflows/migration-input.ts';
import { builtInTexts } from '../workflows/opt-in-campaign-input.ts';
import { openSandbox, type Sandbox } from './support/sandbox.ts';
import { channelshift } from './support/worker-process.ts';
import { until } from './support/until.ts';

/** Lookups whose answers died with the worker (on the wire, or answered and not yet stored) are asked again: a few per batch in flight. */
const IN_FLIGHT_AT_MOST = LOOKUPS_IN_FLIGHT * migrationDefaults.concurrency;

describe('workers killed during verification and during the campaign', () => {
  let sandbox: Sandbox;
  let audience: OptInAudience;
  beforeAll(async () => {
    audience = await generateOptInAudience(mkdtempSync(join(tmpdir(), 'opt-in-crash-')), { sms: 1000, viber: 500 }, { seed: 77, maxDelayMs: 1000, markets: ['PL', 'UA', 'TR', 'IN', 'BR', 'NG'] });
    sandbox = await openSandbox({
      histories: { vonage: [], plivo: [], viber: audience.viberUsers },
      customers: audience.customers,
      // Slow enough that each kill lands in the middle of the work.
      sendRates: { vonageSms: 60, plivoSms: 60, whatsApp: 200 },
      whatsAppMessagingLimit: 10_000,
    });
  }, 120_000);
  afterAll(async () => sandbox.close());

  it('lose and repeat nothing: every number looked up, every customer noticed once, the ledger as the customers said', async () => {
    const input = {
      migrationId: `opt-in-crash-${Date.now().toString(36)}`,
      sources: audience.sources,
      verify: { carrierLookup: 'plivo' as const },
      optIn: { window: '40s', reminderAfter: '20s', quietHours: null, activationTimeout: '20s', unconfirmedResendAfter: '5s' },
    };
    const contacts = audience.numbers.length;
    const noticesSent = () => sandbox.emulators.vonageMessaging.sentMessages().length + sandbox.emulators.viber.sentMessages().length;

    let worker = channelshift(['worker'], sandbox.processEnv);
    const handle = await startOrAttach(sandbox.client, sandbox.temporal.taskQueue, input);
    await until(() => sandbox.emulators.plivoMessaging.lookupRequests() >= contacts / 3, 'a third of the carrier lookups');
    worker.kill('SIGKILL');
    await once(worker, 'exit');
    worker = channelshift(['worker'], sandbox.processEnv);
    await until(() => noticesSent() >= contacts / 3, 'a third of the notices', 120_000);
    worker.kill('SIGKILL');
    await once(worker, 'exit');
    worker = channelshift(['worker'], sandbox.processEnv);
    try {
      const summary = await handle.result();
      await sandbox.emulators.settled();

      // Verification: every contact verified; asked again only when its answer was on the wire as the worker died.
      expect(summary.verified).toBe(contacts);
      const lookups = await sandbox.db.selectFrom('carrier_lookups').select((e) => e.fn.countAll<number>().as('n')).where('migration_id', '=', input.migrationId).executeTakeFirstOrThrow();
      expect(Number(lookups.n)).toBe(contacts);
      expect(sandbox.emulators.plivoMessaging.lookupsAnswered() - contacts).toBeLessThanOrEqual(IN_FLIGHT_AT_MOST);

      // The campaign: one notice per customer, whatever died when; the ledger matches the customers.
      const notices = new Map<string, number>();
      const reminders = new Set(Object.values(builtInTexts).map((t) => t.reminder));
      for (const m of sandbox.emulators.vonageMessaging.sentMessages()) if (!reminders.has(m.text)) notices.set(m.to, (notices.get(m.to) ?? 0) + 1);
      for (const m of sandbox.emulators.viber.sentMessages()) if (!reminders.has(m.text)) notices.set(m.receiver, (notices.get(m.receiver) ?? 0) + 1);
      expect(notices.size).toBe(contacts);
      expect([...notices.values()].every((n) => n === 1)).toBe(true);
      const ledger = await sandbox.db.selectFrom('consent_ledger').select(['e164', 'decision']).where('campaign_id', '=', input.migrationId).execute();
      expect(new Set(ledger.filter((e) => e.decision === 'granted').map((e) => e.e164))).toEqual(audience.truth.yes);
      expect(new Set(ledger.filter((e) => e.decision === 'withdrawn').map((e) => e.e164))).toEqual(audience.truth.stop);
      expect(ledger).toHaveLength(audience.truth.yes.size + audience.truth.stop.size);
      const welcomed = sandbox.emulators.whatsApp.sentMessages().map((m) => m.to);
      expect(welcomed).toHaveLength(audience.truth.yes.size);
      expect(new Set(welcomed)).toEqual(audience.truth.yes);
    } finally {
      worker.kill('SIGTERM');
      await once(worker, 'exit');
    }
  });
});

