import { databaseLocation, describeLocation, openDatabase } from '../../database/connect.ts';
import { temporalSettings } from '../../temporal/connection-settings.ts';
import { connectorSettings, createConnectors } from '../../worker/connector-settings.ts';
import { createMigrationWorker } from '../../worker/migration-worker.ts';

/** Runs a worker until SIGINT or SIGTERM (the SDK shuts it down gracefully on both). */
export async function workerCommand(): Promise<void> {
  const connectors = createConnectors(connectorSettings());
  const temporal = temporalSettings();
  const location = databaseLocation();
  const db = await openDatabase(location);
  try {
    const { run } = await createMigrationWorker({ temporal, dependencies: { db, ...connectors, clock: () => new Date() } });
    console.error(`Worker on ${temporal.address}, namespace ${temporal.namespace}, task queue ${temporal.taskQueue}, ${describeLocation(location)}.`);
    await run();
  } finally {
    await db.destroy();
  }
}
