/** Prometheus's registered port for a process's own exporter. */
export const DEFAULT_METRICS_PORT = 9464;

/**
 * Where the worker serves `/metrics`: `METRICS_PORT` (default 9464; `0` any free port, printed at start; `off` none)
 * on `METRICS_HOST` (default 0.0.0.0). Undefined when it is off.
 */
export interface MetricsSettings {
  port: number;
  host: string;
}

export function metricsSettings(env: NodeJS.ProcessEnv = process.env): MetricsSettings | undefined {
  const given = env.METRICS_PORT || String(DEFAULT_METRICS_PORT);
  if (given === 'off') return undefined;
  const port = Number(given);
  if (!/^\d+$/.test(given) || port > 65535) throw new Error(`METRICS_PORT must be a port number (0 for any free one) or off, not "${given}"`);
  return { port, host: env.METRICS_HOST || '0.0.0.0' };
}
