import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Kysely } from 'kysely';
import { createVonageReportsClient } from '../connectors/vonage/reports-client.ts';
import { openDatabase } from '../database/connect.ts';
import type { Database } from '../database/schema.ts';
import { startSandboxEmulators, type SandboxEmulators } from '../demo/sandbox-emulators.ts';
import { generateSourceHistories, VONAGE_ACCOUNT } from '../demo/source-histories.ts';
import { createConnectors } from '../worker/connector-settings.ts';
import { startWebhookServer, type WebhookServer } from '../worker/webhook-server.ts';
import { stageSource } from './support/stage-source.ts';

const DAY = 86_400_000;
const from = new Date(Date.UTC(2026, 9, 1));
const to = new Date(from.getTime() + 10 * DAY);
const histories = generateSourceHistories({ vonageRecords: 3000, plivoMessages: 0, viberSubscribers: 200, from, days: 10, seed: 3 });

describe('source readers against the emulators', () => {
  let db: Kysely<Database>;
  let emulators: SandboxEmulators;
  let webhooks: WebhookServer;
  const bot = `readers-${randomUUID().slice(0, 8)}`;
  beforeAll(async () => {
    db = await openDatabase({ kind: 'postgres', url: inject('databaseUrl') });
    emulators = await startSandboxEmulators({ histories });
    webhooks = await startWebhookServer({ db, viber: { bot, authToken: emulators.viber.authToken }, port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await webhooks.close();
    await emulators.close();
    await db.destroy();
  });

  const migration = () => `readers-${randomUUID().slice(0, 8)}`;

  it('stages a Vonage history through asynchronous reports, and the same report saved as a file', async () => {
    const sources = createConnectors(emulators.settings).sources;
    const period = { from: from.toISOString(), to: to.toISOString() };
    const asynchronous = await stageSource(db, migration(), { kind: 'vonage', name: 'vonage', accountId: VONAGE_ACCOUNT, mode: 'async', ...period }, { sources });
    expect(asynchronous.rows).toBe(histories.vonage.length);

    // A user downloads the outbound report from Vonage and imports the zip as it came.
    const client = createVonageReportsClient(emulators.settings.vonage!);
    const { requestId } = await client.createReport({ accountId: VONAGE_ACCOUNT, direction: 'outbound', dateStart: period.from, dateEnd: period.to });
    let report = await client.reportStatus(requestId);
    while (report.status !== 'SUCCESS') {
      await sleep(500);
      report = await client.reportStatus(requestId);
    }
    const zip = await fetch(report.downloadUrl!, { headers: { authorization: `Basic ${Buffer.from(`${VONAGE_ACCOUNT}:${emulators.vonage.apiSecret}`).toString('base64')}` } });
    const path = join(mkdtempSync(join(tmpdir(), 'channelshift-vonage-')), 'report.zip');
    writeFileSync(path, Buffer.from(await zip.arrayBuffer()));
    const migrationId = migration();
    const saved = await stageSource(db, migrationId, { kind: 'vonage-report-file', name: 'saved', path });
    expect(saved.rows).toBe(histories.vonage.filter((r) => r.direction === 'outbound').length);
    const lines = await db.selectFrom('staged_rows').select('file_line').where('migration_id', '=', migrationId).orderBy('line_no').limit(2).execute();
    expect(lines.map((l) => l.file_line)).toEqual([2, 3]);
  });

  it('fills in a Viber subscriber\'s missing country from get_user_details, asking once per subscriber', async () => {
    const withoutCountry = histories.viber.map((user) => ({ ...user, country: '' }));
    await emulators.viber.deliverCallbacks(`${webhooks.url}/webhooks/viber`, { users: withoutCountry });
    const sources = createConnectors(emulators.settings).sources;
    const migrationId = migration();
    expect(await stageSource(db, migrationId, { kind: 'viber', name: 'viber', bot }, { sources })).toMatchObject({ rows: histories.viber.length });
    expect(emulators.viber.userDetailsCalls()).toBe(histories.viber.length);
    const countries = await db.selectFrom('staged_rows').select(['viber_user_id', 'country']).where('migration_id', '=', migrationId).execute();
    expect(new Map(countries.map((c) => [c.viber_user_id, c.country]))).toEqual(new Map(histories.viber.map((u) => [u.id, u.country])));

    // Another migration of the same subscribers needs no more calls: what was learnt is kept.
    await stageSource(db, migration(), { kind: 'viber', name: 'viber', bot }, { sources });
    expect(emulators.viber.userDetailsCalls()).toBe(histories.viber.length);
  });
});
