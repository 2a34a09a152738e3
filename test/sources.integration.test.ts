import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOrAttach } from '../cli/follow-migration.ts';
import { generateSourceHistories, VONAGE_ACCOUNT } from '../demo/source-histories.ts';
import type { MigrationInput } from '../workflows/migration-input.ts';
import { openSandbox, type Sandbox } from './support/sandbox.ts';

const DAY = 86_400_000;
const from = new Date(Date.UTC(2026, 9, 1));
const to = new Date(from.getTime() + 30 * DAY);
const histories = generateSourceHistories({ vonageRecords: 100_000, plivoMessages: 10_000, viberSubscribers: 20_000, from, days: 30 });
// Plivo's minute shrunk to a second, as in the demo: the limit's shape is kept, the test takes seconds, not hours.
const PLIVO_WINDOW_MS = 1000;

describe('extraction from Vonage, Plivo and Viber emulators that fail 5% of requests with 5xx and 2% with 429', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await openSandbox({ histories, plivoWindowMs: PLIVO_WINDOW_MS, faults: { serverErrorRate: 0.05, throttleRate: 0.02, seed: 7 } });
    await sandbox.startWorker();
  });
  afterAll(async () => sandbox.close());

  it('stages every record exactly once, merges the overlaps, and never goes over a vendor limit', { timeout: 600_000 }, async () => {
    const callbacks = await sandbox.emulators.viber.deliverCallbacks(`${sandbox.webhooks.url}/webhooks/viber`);
    expect(callbacks.refused).toBe(0);
    const period = { from: from.toISOString(), to: to.toISOString() };
    const input: MigrationInput = {
      migrationId: `sources-${randomUUID().slice(0, 8)}`,
      sources: [
        { kind: 'vonage', name: 'vonage', accountId: VONAGE_ACCOUNT, ...period },
        { kind: 'plivo', name: 'plivo', ...period },
        { kind: 'viber', name: 'viber', bot: sandbox.viberBot },
      ],
      concurrency: 8,
    };
    const summary = await (await startOrAttach(sandbox.client, sandbox.temporal.taskQueue, input)).result();

    expect(summary.sources).toMatchObject({
      vonage: { rows: histories.vonage.length, quarantined: 0 },
      plivo: { rows: histories.plivo.length, quarantined: 0 },
      viber: { rows: histories.viber.length, quarantined: 0 },
    });
    const staged = await sandbox.db
      .selectFrom('staged_rows')
      .select((e) => ['source', e.fn.countAll<string>().as('rows'), e.fn.count<string>('record_key').distinct().as('keys')])
      .where('migration_id', '=', input.migrationId)
      .groupBy('source')
      .execute();
    expect(Object.fromEntries(staged.map((s) => [s.source, [Number(s.rows), Number(s.keys)]]))).toEqual({
      vonage: [histories.vonage.length, histories.vonage.length],
      plivo: [histories.plivo.length, histories.plivo.length],
      viber: [histories.viber.length, histories.viber.length],
    });
    expect(summary.quality.rejectedByReason).toEqual({ needs_phone_share: histories.truth.viberWithoutPhone });
    const contacts = await sandbox.db.selectFrom('contacts').select('e164').where('migration_id', '=', input.migrationId).execute();
    expect(new Set(contacts.map((c) => c.e164))).toEqual(histories.truth.numbers);
    expect(histories.truth.overlapping).toBeGreaterThan(1000);

    const { vonage, plivo } = sandbox.emulators;
    expect(vonage.requests().filter((r) => r.status === 500 || r.status === 503).length).toBeGreaterThan(0);
    expect(plivo.requests().filter((r) => r.status === 429).length).toBeGreaterThan(0);
    expect(vonage.maxRequestsPerSecond('sync')).toBeLessThanOrEqual(10);
    expect(plivo.maxRequestsInAnyWindow()).toBeLessThanOrEqual(20);
  });
});
