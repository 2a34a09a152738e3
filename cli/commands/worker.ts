import { Runtime } from '@temporalio/worker';
import { describeLocation, openDatabase } from '../../database/connect.ts';
import { encryptingDataConverter } from '../../privacy/data-converter.ts';
import { createTemporalClient } from '../../temporal/client.ts';
import { configuredCrms, createConnectors } from '../../worker/connector-settings.ts';
import { workerSettings } from '../../worker/worker-settings.ts';
import { configureProcessLog, runtimeLogging } from '../../privacy/structured-log.ts';
import { createMigrationWorker } from '../../worker/migration-worker.ts';
import { webhookRoutes } from '../../worker/webhook-routes.ts';
import { startWorkerWebhooks } from '../../worker/worker-webhooks.ts';
import { createWorkerMetrics } from '../../metrics/worker-metrics.ts';
import { startMetricsServer } from '../../metrics/metrics-server.ts';
import { DEFAULT_VIBER_BOT } from '../../connectors/viber/subscriber-book.ts';

/** Runs a worker, and the webhook receiver when a vendor needs one, until SIGINT or SIGTERM (the SDK shuts it down gracefully on both). */
export async function workerCommand(): Promise<void> {
  const { connectors: settings, temporal, database: location, logLevel, codecKeys, metrics: metricsAt, secrets } = workerSettings();
  const dataConverter = encryptingDataConverter(codecKeys);
  const log = configureProcessLog({ level: logLevel, secrets });
  Runtime.install(runtimeLogging(log, logLevel));
  const db = await openDatabase(location);
  const client = await createTemporalClient(temporal, dataConverter);
  const metrics = metricsAt && createWorkerMetrics({ db, settings });
  const metricsServer = metrics && (await startMetricsServer({ registry: metrics.registry, ...metricsAt }));
  const routes = webhookRoutes(settings, process.env.VIBER_BOT || DEFAULT_VIBER_BOT);
  const webhooks = Object.values(routes).some(Boolean)
    ? await startWorkerWebhooks({
        db,
        client,
        taskQueue: temporal.taskQueue,
        routes,
        crms: configuredCrms(settings),
        port: Number(process.env.WEBHOOK_PORT || 8787),
        host: process.env.WEBHOOK_HOST || '0.0.0.0',
      })
    : undefined;
  try {
    const { run } = await createMigrationWorker({ temporal, dataConverter, dependencies: { db, ...createConnectors(settings), clock: () => new Date() }, activityInterceptors: metrics?.activityInterceptors });
    log.info('Worker started', { address: temporal.address, namespace: temporal.namespace, taskQueue: temporal.taskQueue, database: describeLocation(location) });
    if (webhooks) log.info('Webhooks listening', { url: webhooks.url, paths: webhooks.paths });
    if (metricsServer) log.info('Metrics served', { url: metricsServer.url });
    await run();
  } finally {
    await webhooks?.close();
    await metricsServer?.close();
    metrics?.close();
    await client.connection.close();
    await db.destroy();
  }
}
