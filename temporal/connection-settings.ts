/** Where the Temporal server is and which queue the migration uses; the same for the CLI, the worker and other services. */
export interface TemporalSettings {
  address: string;
  namespace: string;
  taskQueue: string;
}

export function temporalSettings(env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  return {
    address: env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    namespace: env.TEMPORAL_NAMESPACE ?? 'channelshift',
    taskQueue: env.TEMPORAL_TASK_QUEUE ?? 'channelshift-migration',
  };
}
