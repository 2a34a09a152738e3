import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { Kysely } from 'kysely';
import type { Client } from '@temporalio/client';
import type { ContactsCheckEmulator } from '../../connectors/whatsapp/contacts-check-emulator.ts';
import type { HubSpotEmulator } from '../../connectors/hubspot/emulator.ts';
import { startSandboxEmulators, type SandboxEmulators, type SandboxEmulatorsOptions } from '../../demo/sandbox-emulators.ts';
import { createSandboxDatabase } from './sandbox-database.ts';
import { openDatabase } from '../../database/connect.ts';
import type { Database } from '../../database/schema.ts';
import { CODEC_KEYS_FILE_VARIABLE, codecKeys, type CodecKey } from '../../privacy/codec-keys.ts';
import { encryptingDataConverter } from '../../privacy/data-converter.ts';
import { createTemporalClient } from '../../temporal/client.ts';
import type { TemporalSettings } from '../../temporal/connection-settings.ts';
import { configuredCrms, createConnectors } from '../../worker/connector-settings.ts';
import { createMigrationWorker } from '../../worker/migration-worker.ts';
import type { WebhookServer } from '../../worker/webhook-server.ts';
import { webhookRoutes } from '../../worker/webhook-routes.ts';
import { startWorkerWebhooks } from '../../worker/worker-webhooks.ts';

/**
 * Everything a migration test runs against: the suite's Temporal server, a PostgreSQL database and fresh emulators
 * of its own, and a task queue of its own so tests never pick up each other's work.
 */
export interface Sandbox {
  db: Kysely<Database>;
  /** The legacy contacts check. */
  contactsCheck: ContactsCheckEmulator;
  hubspot: HubSpotEmulator;
  emulators: SandboxEmulators;
  /** The product's webhook receiver, as a worker serves it; every emulator's webhooks point at it. */
  webhooks: WebhookServer;
  /** The Viber bot name this sandbox's callbacks are kept under: a Viber source reads it with `bot`. */
  viberBot: string;
  temporal: TemporalSettings;
  databaseUrl: string;
  /** The run's payload encryption keys, which this sandbox's clients and workers (in process or not) use. */
  codecKeys: CodecKey[];
  client: Client;
  /** Environment for a worker or CLI started as a separate process against this sandbox. */
  processEnv: NodeJS.ProcessEnv;
  dataDir: string;
  /** Starts an in-process worker; the returned function stops it. */
  startWorker(): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export async function openSandbox(options: SandboxEmulatorsOptions = {}): Promise<Sandbox> {
  const temporal: TemporalSettings = {
    address: inject('temporalAddress'),
    namespace: inject('temporalNamespace'),
    taskQueue: `test-${randomUUID()}`,
  };
  const database = await createSandboxDatabase(inject('databaseUrl'));
  const databaseUrl = database.url;
  const keysEnv = { [CODEC_KEYS_FILE_VARIABLE]: inject('codecKeysFile') };
  const keys = codecKeys({ env: keysEnv });
  const dataConverter = encryptingDataConverter(keys);
  const db = await openDatabase({ kind: 'postgres', url: databaseUrl });
  const emulators = await startSandboxEmulators(options);
  // Viber subscribers are kept per bot: a bot of its own keeps this sandbox's subscribers apart from other tests'.
  const viberBot = `test-${randomUUID().slice(0, 8)}`;
  const client = await createTemporalClient(temporal, dataConverter);
  const webhooks = await startWorkerWebhooks({
    db,
    client,
    taskQueue: temporal.taskQueue,
    routes: webhookRoutes(emulators.settings, viberBot),
    crms: configuredCrms(emulators.settings),
    port: 0,
    host: '127.0.0.1',
  });
  emulators.connectWebhooks(webhooks.url);
  const stops: (() => Promise<void>)[] = [];

  return {
    db,
    contactsCheck: emulators.contactsCheck,
    hubspot: emulators.hubspot,
    emulators,
    webhooks,
    viberBot,
    temporal,
    databaseUrl,
    codecKeys: keys,
    client,
    dataDir: mkdtempSync(join(tmpdir(), 'channelshift-test-')),
    processEnv: {
      ...process.env,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: temporal.namespace,
      TEMPORAL_TASK_QUEUE: temporal.taskQueue,
      DATABASE_URL: databaseUrl,
      ...keysEnv,
      ...emulators.env,
      // A worker process serves webhooks too: on any free port, beside the sandbox's own receiver.
      WEBHOOK_PORT: '0',
      // And metrics: worker processes of tests running side by side would all want the default port.
      METRICS_PORT: '0',
      VIBER_BOT: viberBot,
    },
    async startWorker() {
      const { worker, run } = await createMigrationWorker({
        temporal,
        dataConverter,
        workflowBundle: { codePath: inject('workflowBundlePath') },
        dependencies: {
          db,
          ...createConnectors(emulators.settings),
          clock: () => new Date(),
        },
      });
      const running = run();
      const stop = async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
      };
      stops.push(stop);
      return stop;
    },
    async close() {
      await Promise.all(stops.map((stop) => stop()));
      await webhooks.close();
      await client.connection.close();
      await Promise.all([emulators.close(), db.destroy()]);
      await database.drop();
    },
  };
}
