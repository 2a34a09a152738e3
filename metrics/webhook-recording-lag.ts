import diagnosticsChannel from 'node:diagnostics_channel';
import { Histogram, type Registry } from 'prom-client';

/** The webhook receiver reports here as it records events; nothing is kept while no worker metrics listen. */
const CHANNEL = 'channelshift:webhook-recording-lag';
const lags = diagnosticsChannel.channel(CHANNEL);

export interface RecordingLag {
  vendor: string;
  seconds: number;
}

/**
 * Called once an event is recorded, with the time since the vendor stamped it: a backlog anywhere between the
 * customer and the database (the vendor's retries, our queue, a slow transaction) shows here, and a STOP is
 * honoured only from the moment it is recorded.
 */
export function reportRecordingLag(vendor: string, milliseconds: number): void {
  if (lags.hasSubscribers) lags.publish({ vendor, seconds: Math.max(0, milliseconds) / 1000 } satisfies RecordingLag);
}

/** `channelshift_webhook_recording_lag_seconds{vendor}`: from the vendor's timestamp on an event to its recording. */
export function webhookRecordingLagHistogram(registry: Registry): () => void {
  const histogram = new Histogram({
    name: 'channelshift_webhook_recording_lag_seconds',
    help: "Time from a webhook event's own timestamp (the customer's reply, the vendor's receipt) to its recording in the database",
    labelNames: ['vendor'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600],
    registers: [registry],
  });
  return onRecordingLag(({ vendor, seconds }) => histogram.observe({ vendor }, seconds));
}

/** Calls `listener` for every event recorded from now on, until the returned function is called. */
export function onRecordingLag(listener: (lag: RecordingLag) => void): () => void {
  const onLag = (message: unknown) => listener(message as RecordingLag);
  diagnosticsChannel.subscribe(CHANNEL, onLag);
  return () => diagnosticsChannel.unsubscribe(CHANNEL, onLag);
}
