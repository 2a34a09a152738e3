import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities, type ActivityDependencies } from '../activities/index.ts';
import type { TemporalSettings } from '../temporal/connection-settings.ts';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface MigrationWorkerOptions {
  temporal: TemporalSettings;
  dependencies: ActivityDependencies;
  /** A prebuilt workflow bundle (tests build it once); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkflowBundleOption;
}

export interface MigrationWorker {
  worker: Worker;
  /** Polls until `worker.shutdown()` (or a signal) stops it, then closes its connection. */
  run(): Promise<void>;
}

/** A worker serving the migration workflow and its activities on the configured task queue. */
export async function createMigrationWorker({ temporal, dependencies, workflowBundle }: MigrationWorkerOptions): Promise<MigrationWorker> {
  const connection = await NativeConnection.connect({ address: temporal.address });
  const worker = await Worker.create({
    connection,
    namespace: temporal.namespace,
    taskQueue: temporal.taskQueue,
    activities: createActivities(dependencies),
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
