import type { DevServerOptions } from './dev-server.ts';
import { temporalSettings } from './connection-settings.ts';

/** Dev server ports and files from the environment: TEMPORAL_IP, TEMPORAL_PORT, TEMPORAL_UI_PORT, TEMPORAL_DB_FILE. */
export function devServerOptionsFromEnv(cliPath: string, env: NodeJS.ProcessEnv = process.env): DevServerOptions {
  const port = Number(env.TEMPORAL_PORT ?? 7233);
  return {
    cliPath,
    ip: env.TEMPORAL_IP ?? '127.0.0.1',
    port,
    uiPort: Number(env.TEMPORAL_UI_PORT ?? port + 1000),
    namespace: temporalSettings(env).namespace,
    dbFilename: env.TEMPORAL_DB_FILE ?? '.channelshift/temporal.db',
  };
}
