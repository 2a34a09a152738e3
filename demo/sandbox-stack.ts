import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import { DEFAULT_VIBER_BOT } from '../connectors/viber/subscriber-book.ts';
import { startSandboxEmulators, type SandboxEmulators, type SandboxEmulatorsOptions } from './sandbox-emulators.ts';
import { databaseLocation, describeLocation, openDatabase } from '../database/connect.ts';
import type { Database } from '../database/schema.ts';
import { createTemporalClient } from '../temporal/client.ts';
import { findOrInstallTemporalCli } from '../temporal/cli-install.ts';
import { temporalSettings, type TemporalSettings } from '../temporal/connection-settings.ts';
import { startDevServer, type DevServer } from '../temporal/dev-server.ts';
import { devServerOptionsFromEnv } from '../temporal/dev-server-env.ts';
import { configuredCrms, createConnectors } from '../worker/connector-settings.ts';
import { createMigrationWorker } from '../worker/migration-worker.ts';
import type { WebhookServer } from '../worker/webhook-server.ts';
import { webhookRoutes } from '../worker/webhook-routes.ts';
import { startWorkerWebhooks } from '../worker/worker-webhooks.ts';

/**
 * The product in sandbox mode on one machine: a Temporal dev server (unless TEMPORAL_ADDRESS names one),
 * the vendor emulators, the database and a worker, all started and stopped together.
 */
export interface SandboxStack {
  temporal: TemporalSettings;
  devServer: DevServer | undefined;
  client: Client;
  db: Kysely<Database>;
  emulators: SandboxEmulators;
  webhooks: WebhookServer;
  close(): Promise<void>;
}

export async function startSandboxStack(log: (line: string) => void, emulatorOptions: SandboxEmulatorsOptions = {}): Promise<SandboxStack> {
  // The worker's life-cycle lines would bury the progress display; warnings and errors still show.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const settings = temporalSettings();
  const devServer = process.env.TEMPORAL_ADDRESS
    ? undefined
    : await startDevServer(devServerOptionsFromEnv(await findOrInstallTemporalCli(log)));
  const temporal = { ...settings, address: devServer?.address ?? settings.address };
  const emulators = await startSandboxEmulators(emulatorOptions);
  const viberBot = DEFAULT_VIBER_BOT;
  const location = databaseLocation();
  const db = await openDatabase(location);
  const client = await createTemporalClient(temporal);
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
  const { whatsApp, contactsCheck, hubspot, salesforce, vonage, vonageMessaging, plivo, plivoMessaging, viber } = emulators;
  log(
    `Database: ${describeLocation(location)}. Emulators: WhatsApp ${whatsApp.url} (contacts check ${contactsCheck.url}), HubSpot ${hubspot.url}, Salesforce ${salesforce.loginUrl} (instance ${salesforce.instanceUrl}), ` +
      `Vonage ${vonage.url} (messaging ${vonageMessaging.url}), Plivo ${plivo.url} (messaging ${plivoMessaging.url}), Viber ${viber.url}. Webhooks: ${webhooks.url}.`,
  );

  const { worker, run } = await createMigrationWorker({
    temporal,
    dependencies: {
      db,
      ...createConnectors(emulators.settings),
      clock: () => new Date(),
    },
  });
  const running = run();
  return {
    temporal,
    devServer,
    client,
    db,
    emulators,
    webhooks,
    async close() {
      worker.shutdown();
      await running;
      await client.connection.close();
      await webhooks.close();
      await Promise.all([emulators.close(), db.destroy()]);
      await devServer?.stop();
    },
  };
}
