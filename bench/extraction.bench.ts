// Extraction per source, from the emulators over real HTTP into staging: records per second and requests per
// second against each vendor's published limit. Plivo's list endpoint allows 20 requests a minute, so its
// figure is measured with a one-second window and the rate at the real limit follows from it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openDatabase } from '../database/connect.ts';
import { customerBaseColumns } from '../demo/customer-base.ts';
import { startSandboxEmulators } from '../demo/sandbox-emulators.ts';
import { generateSourceHistories, VONAGE_ACCOUNT } from '../demo/source-histories.ts';
import { createConnectors } from '../worker/connector-settings.ts';
import { startWebhookServer } from '../worker/webhook-server.ts';
import type { Source } from '../workflows/migration-input.ts';
import { stageSource } from '../test/support/stage-source.ts';
import { customerBaseFile } from './customer-base-file.ts';

const DAY = 86_400_000;
const PLIVO_BENCH_WINDOW_MS = 1000;

async function runExtractionBench(scale: { vonage: number; plivo: number; viber: number; csv: number }): Promise<void> {
  const from = new Date(Date.UTC(2026, 9, 1));
  const to = new Date(from.getTime() + 30 * DAY);
  const histories = generateSourceHistories({ vonageRecords: scale.vonage, plivoMessages: scale.plivo, viberSubscribers: scale.viber, from, days: 30 });
  const emulators = await startSandboxEmulators({ histories, plivoWindowMs: PLIVO_BENCH_WINDOW_MS });
  const dataDir = mkdtempSync(join(tmpdir(), 'channelshift-bench-'));
  const db = await openDatabase(process.env.DATABASE_URL ? { kind: 'postgres', url: process.env.DATABASE_URL } : { kind: 'embedded', dataDir: join(dataDir, 'pglite') });
  const viberBot = `bench-${Date.now().toString(36)}`;
  const webhooks = await startWebhookServer({ db, viber: { bot: viberBot, authToken: emulators.viber.authToken }, port: 0, host: '127.0.0.1' });
  const migrationId = `bench-extract-${Date.now().toString(36)}`;
  const connectors = createConnectors(emulators.settings).sources;
  const period = { from: from.toISOString(), to: to.toISOString() };
  try {
    console.log(`\nextraction into staging, ${process.env.DATABASE_URL ? `PostgreSQL ${new URL(process.env.DATABASE_URL).host}` : 'embedded database'}`);
    const measure = async (label: string, source: Source, requests: () => number, busiest: (() => string) | null) => {
      const before = requests();
      const started = performance.now();
      const { rows } = await stageSource(db, migrationId, source, { sources: connectors });
      const seconds = (performance.now() - started) / 1000;
      const sent = requests() - before;
      const rate = sent === 0 ? '' : `, ${sent} requests, ${(sent / seconds).toFixed(1)}/s on average${busiest === null ? '' : `, ${busiest()}`}`;
      console.log(`  ${label.padEnd(26)} ${String(rows).padStart(7)} records in ${seconds.toFixed(1).padStart(5)} s = ${String(Math.round(rows / seconds)).padStart(6)} records/s${rate}`);
      return { rows, seconds, sent };
    };
    const vonageRequests = () => emulators.vonage.requests().length;
    const plivoRequests = () => emulators.plivo.requests().length;
    const vonageBusiest = (kind: 'sync' | 'async', limit: number) => () => `at most ${emulators.vonage.maxRequestsPerSecond(kind)} in any second (limit ${limit})`;
    await measure('Vonage Reports, sync', { kind: 'vonage', name: 'vonage-sync', accountId: VONAGE_ACCOUNT, ...period }, vonageRequests, vonageBusiest('sync', 10));
    // Mostly waiting: Vonage makes the report while the workflow sleeps between polls.
    await measure('Vonage Reports, async', { kind: 'vonage', name: 'vonage-async', accountId: VONAGE_ACCOUNT, mode: 'async', ...period }, vonageRequests, vonageBusiest('async', 5));
    const plivo = await measure('Plivo messages (1 s window)', { kind: 'plivo', name: 'plivo', ...period }, plivoRequests, () => `at most ${emulators.plivo.maxRequestsInAnyWindow()} in any window (limit 20)`);
    console.log(`    at Plivo's real 20 requests a minute: ${Math.round((plivo.rows / plivo.sent) * 20)} messages a minute, ${(plivo.sent / 20 / 60).toFixed(1)} h for this history`);
    const callbacksStarted = performance.now();
    const callbacks = await emulators.viber.deliverCallbacks(`${webhooks.url}/webhooks/viber`);
    console.log(`  ${'Viber webhook callbacks'.padEnd(26)} ${String(callbacks.accepted).padStart(7)} accepted in ${((performance.now() - callbacksStarted) / 1000).toFixed(1).padStart(5)} s`);
    await measure('Viber subscribers', { kind: 'viber', name: 'viber', bot: viberBot }, () => emulators.viber.userDetailsCalls(), null);
    await measure('CSV file', { kind: 'csv', name: 'csv', path: customerBaseFile(scale.csv), columns: customerBaseColumns }, () => 0, null);
  } finally {
    await webhooks.close();
    await emulators.close();
    await db.destroy();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      vonage: { type: 'string', default: '100000' },
      plivo: { type: 'string', default: '10000' },
      viber: { type: 'string', default: '20000' },
      csv: { type: 'string', default: '100000' },
    },
  });
  await runExtractionBench({ vonage: Number(values.vonage), plivo: Number(values.plivo), viber: Number(values.viber), csv: Number(values.csv) });
}
