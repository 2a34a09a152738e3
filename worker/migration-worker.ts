import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker, type ActivityInterceptorsFactory, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities, type ActivityDependencies } from '../activities/index.ts';
import type { TemporalSettings } from '../temporal/connection-settings.ts';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface MigrationWorkerOptions {
  temporal: TemporalSettings;
  dependencies: ActivityDependencies;
  /** The encrypting data converter (privacy/data-converter.ts), the same keys as the clients'. */
  dataConverter: DataConverter;
  /**
   * A prebuilt workflow bundle (tests build it once), built with the data converter's `failureConverterPath`;
   * otherwise the workflows are bundled at start.
   */
  workflowBundle?: WorkflowBundleOption;
  /** Wrap every activity: the worker's metrics time them (metrics/worker-metrics.ts). */
  activityInterceptors?: ActivityInterceptorsFactory[];
}

export interface MigrationWorker {
  worker: Worker;
  /** Polls until `worker.shutdown()` (or a signal) stops it, then closes its connection. */
  run(): Promise<void>;
}

/** A worker serving the migration workflow and its activities on the configured task queue. */
export async function createMigrationWorker({ temporal, dependencies, dataConverter, workflowBundle, activityInterceptors = [] }: MigrationWorkerOptions): Promise<MigrationWorker> {
  const connection = await NativeConnection.connect({ address: temporal.address });
  const worker = await Worker.create({
    connection,
    namespace: temporal.namespace,
    taskQueue: temporal.taskQueue,
    activities: createActivities(dependencies),
    dataConverter,
    interceptors: { activity: activityInterceptors },
    ...(workflowBundle ? { workflowBundle } : { workflowsPath }),
    // Batches are I/O bound (vendor calls, database); a few at once keep the vendors close to their limits.
    maxConcurrentActivityTaskExecutions: 16,
  });
  return {
    worker,
    async run() {
      try {
        await worker.run();
      } finally {
        await connection.close();
      }
    },
  };
}
