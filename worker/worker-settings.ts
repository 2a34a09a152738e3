import type { LogLevel } from '@temporalio/common';
import { databaseLocation, type DatabaseLocation } from '../database/connect.ts';
import { metricsSettings, type MetricsSettings } from '../metrics/metrics-settings.ts';
import { CODEC_KEYS_VARIABLE, codecKeys, type CodecKey } from '../privacy/codec-keys.ts';
import { LOG_LEVELS, logLevelSetting } from '../privacy/structured-log.ts';
import { temporalSettings, type TemporalSettings } from '../temporal/connection-settings.ts';
import { connectorSettings, type ConnectorSettings } from './connector-settings.ts';
import { resolveSecretFiles, secretValues, type EnvironmentProblem } from './secret-environment.ts';

export interface WorkerSettings {
  connectors: ConnectorSettings;
  temporal: TemporalSettings;
  database: DatabaseLocation;
  logLevel: LogLevel;
  /** The payload keys: a worker without the clients' keys could not read a single input. */
  codecKeys: CodecKey[];
  /** Where `/metrics` is served; undefined when it is off. */
  metrics: MetricsSettings | undefined;
  /** Every credential's value (the codec keys' too), for the log to redact. */
  secrets: string[];
}

/**
 * Everything the worker reads from its environment, secret files included, checked before anything starts: a
 * wrong setting stops the worker with one error that names every problem, and never a secret's value.
 */
export function workerSettings(env: NodeJS.ProcessEnv = process.env): WorkerSettings {
  const { env: resolved, problems } = resolveSecretFiles(env);
  const logLevel = logLevelSetting(resolved);
  if (logLevel === undefined) problems.push({ variable: 'LOG_LEVEL', problem: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, not "${resolved.LOG_LEVEL}"` });
  const keys = checked(CODEC_KEYS_VARIABLE, () => codecKeys({ env: resolved }), problems);
  const metrics = checked('METRICS_PORT', () => metricsSettings(resolved), problems);
  return {
    connectors: connectorSettings(resolved, problems),
    temporal: temporalSettings(resolved),
    database: databaseLocation(resolved),
    logLevel: logLevel!,
    codecKeys: keys!,
    metrics,
    secrets: [...secretValues(resolved), ...keys!.map(({ key }) => key.toString('base64'))],
  };
}

/** A setting read by its own module, its error kept for the one list `connectorSettings` throws. */
function checked<T>(variable: string, read: () => T, problems: EnvironmentProblem[]): T | undefined {
  try {
    return read();
  } catch (error) {
    problems.push({ variable, problem: (error as Error).message });
    return undefined;
  }
}
