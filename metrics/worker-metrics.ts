import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { Kysely } from 'kysely';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Database } from '../database/schema.ts';
import type { ConnectorSettings } from '../worker/connector-settings.ts';
import { activityDurations } from './activity-durations.ts';
import { pipelineGauges } from './pipeline-gauges.ts';
import { rateLimitWaitHistogram } from './rate-limit-waits.ts';
import { vendorOfOrigin } from './vendor-origins.ts';
import { vendorRequestCounters } from './vendor-requests.ts';
import { webhookEventCounter } from './webhook-events.ts';
import { webhookRecordingLagHistogram } from './webhook-recording-lag.ts';

/** Database counts are read again at most this often, however often Prometheus scrapes. */
export const DEFAULT_COUNTS_MAX_AGE_MS = 10_000;

export interface WorkerMetricsOptions {
  db: Kysely<Database>;
  /** The worker's vendor settings: their base URLs name the vendor of each outgoing request. */
  settings: ConnectorSettings;
  /** Origins the settings do not name, by vendor (`{ "http://127.0.0.1:4100": "salesforce" }` for a sandbox org's instance). */
  vendorOrigins?: Record<string, string>;
  /** How old the database counts a scrape is answered with may get before a new read starts (default 10 s). */
  countsMaxAgeMs?: number;
}

export interface WorkerMetrics {
  registry: Registry;
  /** For the worker's `interceptors.activity`: times every activity. */
  activityInterceptors: ActivityInterceptorsFactory[];
  /** Stops listening to the process's HTTP clients, limiters and webhook routes. */
  close(): void;
}

/**
 * A worker's Prometheus metrics: contacts per stage and rejected rows from the database, vendor requests and
 * throttles, rate-limit waits, webhook events by signature and how long after their vendor's timestamp they were recorded, activity durations, and the process's own metrics.
 */
export function createWorkerMetrics({ db, settings, vendorOrigins, countsMaxAgeMs = DEFAULT_COUNTS_MAX_AGE_MS }: WorkerMetricsOptions): WorkerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  pipelineGauges(registry, db, countsMaxAgeMs);
  const stops = [
    vendorRequestCounters(registry, vendorOfOrigin(settings, vendorOrigins)),
    rateLimitWaitHistogram(registry),
    webhookEventCounter(registry),
    webhookRecordingLagHistogram(registry),
  ];
  return {
    registry,
    activityInterceptors: [activityDurations(registry)],
    close() {
      for (const stop of stops) stop();
    },
  };
}
