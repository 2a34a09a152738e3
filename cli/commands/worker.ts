import { databaseLocation, describeLocation, openDatabase } from '../../database/connect.ts';
import { createTemporalClient } from '../../temporal/client.ts';
import { temporalSettings } from '../../temporal/connection-settings.ts';
import { configuredCrms, connectorSettings, createConnectors } from '../../worker/connector-settings.ts';
import { createMigrationWorker } from '../../worker/migration-worker.ts';
import { webhookRoutes } from '../../worker/webhook-routes.ts';
import { startWorkerWebhooks } from '../../worker/worker-webhooks.ts';
import { DEFAULT_VIBER_BOT } from '../../connectors/viber/subscriber-book.ts';

/** Runs a worker, and the webhook receiver when a vendor needs one, until SIGINT or SIGTERM (the SDK shuts it down gracefully on both). */
export async function workerCommand(): Promise<void> {
  const settings = connectorSettings();
  const temporal = temporalSettings();
  const location = databaseLocation();
  const db = await openDatabase(location);
  const client = await createTemporalClient(temporal);
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
    const { run } = await createMigrationWorker({ temporal, dependencies: { db, ...createConnectors(settings), clock: () => new Date() } });
    console.error(`Worker on ${temporal.address}, namespace ${temporal.namespace}, task queue ${temporal.taskQueue}, ${describeLocation(location)}.`);
    if (webhooks) console.error(`Webhooks on ${webhooks.url}: ${webhooks.paths.join(', ')}`);
    await run();
  } finally {
    await webhooks?.close();
    await client.connection.close();
    await db.destroy();
  }
}
