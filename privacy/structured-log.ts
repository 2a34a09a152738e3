import type { Logger, LogLevel, LogMetadata } from '@temporalio/common';
import type { LogExporterConfig } from '@temporalio/worker';
import { logRedaction } from './log-redaction.ts';

/**
 * The log of long-running code (the worker, its webhook receiver, activities): one JSON object a line on stderr,
 * `{"time","level","message","fields"}`, redacted as privacy/log-redaction.ts says. It is a Temporal `Logger`, so
 * the SDK's own lines and those of `workflow.log` and an activity's `log` come out the same way.
 */
export const LOG_LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

export interface StructuredLogOptions {
  /** The least severe level written; default INFO. */
  level?: LogLevel;
  /** Every credential's value: wherever one appears it is written `[secret]`. */
  secrets?: readonly string[];
  write?: (line: string) => void;
  clock?: () => Date;
}

/** The SDK's `LogTimestamp`: when a workflow's line was logged, which is before the line reaches the logger. */
const LOG_TIMESTAMP = Symbol.for('log_timestamp');

export function createStructuredLog({ level = 'INFO', secrets = [], write = toStderr, clock = () => new Date() }: StructuredLogOptions = {}): Logger {
  const redaction = logRedaction(secrets);
  const least = LOG_LEVELS.indexOf(level);
  const log = (lineLevel: LogLevel, message: string, meta?: LogMetadata) => {
    if (LOG_LEVELS.indexOf(lineLevel) < least) return;
    const nanos = meta?.[LOG_TIMESTAMP];
    const time = typeof nanos === 'bigint' ? new Date(Number(nanos / 1_000_000n)) : clock();
    const fields = meta === undefined ? {} : redaction.fields(meta);
    const line = { time: time.toISOString(), level: lineLevel, message: redaction.text(message), ...(Object.keys(fields).length > 0 ? { fields } : {}) };
    write(`${JSON.stringify(line)}\n`);
  };
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}

/** `LOG_LEVEL`, any case; undefined when it names no level. */
export function logLevelSetting(env: NodeJS.ProcessEnv): LogLevel | undefined {
  const given = (env.LOG_LEVEL || 'INFO').toUpperCase();
  return LOG_LEVELS.find((level) => level === given);
}

let current = createStructuredLog();

/**
 * The process's log, for code that runs outside an activity (the webhook routes). INFO and no secrets known
 * until the worker's start configures it.
 */
export const processLog: Logger = {
  log: (level, message, meta) => current.log(level, message, meta),
  trace: (message, meta) => current.trace(message, meta),
  debug: (message, meta) => current.debug(message, meta),
  info: (message, meta) => current.info(message, meta),
  warn: (message, meta) => current.warn(message, meta),
  error: (message, meta) => current.error(message, meta),
};

export function configureProcessLog(options: StructuredLogOptions): Logger {
  current = createStructuredLog(options);
  return processLog;
}

/**
 * `Runtime.install` options that send the SDK's lines, workflow and activity logs, and Core's own (forwarded from
 * its native side, which otherwise prints them itself), to `log`.
 */
export function runtimeLogging(log: Logger, level: LogLevel): { logger: Logger; telemetryOptions: { logging: LogExporterConfig } } {
  return { logger: log, telemetryOptions: { logging: { filter: { core: level, other: 'ERROR' }, forward: {} } } };
}

function toStderr(line: string): void {
  process.stderr.write(line);
}
