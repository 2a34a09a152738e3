import { Runtime } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import { DEFAULT_VIBER_BOT } from '../connectors/viber/subscriber-book.ts';
import { startSandboxEmulators, type SandboxEmulators, type SandboxEmulatorsOptions } from './sandbox-emulators.ts';
import { databaseLocation, describeLocation, openDatabase } from '../database/connect.ts';
import type { Database } from '../database/schema.ts';
import { codecKeys } from '../privacy/codec-keys.ts';
import { devServerUiOrigins, startCodecServer, type CodecServer } from '../privacy/codec-server.ts';
import { encryptingDataConverter } from '../privacy/data-converter.ts';
import { PayloadEncryptionCodec } from '../privacy/payload-codec.ts';
import { createStructuredLog, runtimeLogging } from '../privacy/structured-log.ts';
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
import { createWorkerMetrics } from '../metrics/worker-metrics.ts';
import { startMetricsServer, type MetricsServer } from '../metrics/metrics-server.ts';

/**
 * The product in sandbox mode on one machine: a Temporal dev server (unless TEMPORAL_ADDRESS names one),
 * the vendor emulators, the database and a worker, all started and stopped together.
 */
export interface SandboxStack {
  temporal: TemporalSettings;
  devServer: DevServer | undefined;
  /** Decodes the history's encrypted payloads for the dev server's UI (and `temporal --codec-endpoint`). */
  codecServer: CodecServer;
  client: Client;
  db: Kysely<Database>;
  emulators: SandboxEmulators;
  webhooks: WebhookServer;
  /** The worker's Prometheus metrics, on a free port. */
  metrics: MetricsServer;
  close(): Promise<void>;
}

export async function startSandboxStack(log: (line: string) => void, emulatorOptions: SandboxEmulatorsOptions = {}): Promise<SandboxStack> {
  // The worker's life-cycle lines would bury the progress display; warnings and errors still show.
  Runtime.install(runtimeLogging(createStructuredLog({ level: 'WARN' }), 'WARN'));
  const settings = temporalSettings();
  const keys = codecKeys({ createLocalKeyFile: true });
  const dataConverter = encryptingDataConverter(keys);
  const devServerOptions = process.env.TEMPORAL_ADDRESS ? undefined : devServerOptionsFromEnv(await findOrInstallTemporalCli(log));
  const codecServer = await startCodecServer({
    codec: new PayloadEncryptionCodec(keys),
    port: 0,
    host: '127.0.0.1',
    uiOrigins: devServerOptions && devServerUiOrigins(devServerOptions.ip, devServerOptions.uiPort),
  });
  const devServer = devServerOptions && (await startDevServer({ ...devServerOptions, uiCodecEndpoint: codecServer.url }));
  const temporal = { ...settings, address: devServer?.address ?? settings.address };
  const emulators = await startSandboxEmulators(emulatorOptions);
  const viberBot = DEFAULT_VIBER_BOT;
  const location = databaseLocation();
  const db = await openDatabase(location);
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
  // The org's instance URL is learned at login, so the settings cannot name it.
  const workerMetrics = createWorkerMetrics({ db, settings: emulators.settings, vendorOrigins: { [emulators.salesforce.instanceUrl]: 'salesforce' } });
  const metrics = await startMetricsServer({ registry: workerMetrics.registry, port: 0, host: '127.0.0.1' });
  const { whatsApp, contactsCheck, hubspot, salesforce, vonage, vonageMessaging, plivo, plivoMessaging, viber } = emulators;
  log(
    `Database: ${describeLocation(location)}. Emulators: WhatsApp ${whatsApp.url} (contacts check ${contactsCheck.url}), HubSpot ${hubspot.url}, Salesforce ${salesforce.loginUrl} (instance ${salesforce.instanceUrl}), ` +
      `Vonage ${vonage.url} (messaging ${vonageMessaging.url}), Plivo ${plivo.url} (messaging ${plivoMessaging.url}), Viber ${viber.url}. Webhooks: ${webhooks.url}. Codec server: ${codecServer.url}. Metrics: ${metrics.url}.`,
  );

  const { worker, run } = await createMigrationWorker({
    temporal,
    dataConverter,
    dependencies: {
      db,
      ...createConnectors(emulators.settings),
      clock: () => new Date(),
    },
    activityInterceptors: workerMetrics.activityInterceptors,
  });
  const running = run();
  return {
    temporal,
    devServer,
    codecServer,
    client,
    db,
    emulators,
    webhooks,
    metrics,
    async close() {
      worker.shutdown();
      await running;
      await webhooks.close();
      await client.connection.close();
      await metrics.close();
      workerMetrics.close();
      await Promise.all([emulators.close(), db.destroy()]);
      await codecServer.close();
      await devServer?.stop();
    },
  };
}
