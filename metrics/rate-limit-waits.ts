import diagnosticsChannel from 'node:diagnostics_channel';
import { Histogram, type Registry } from 'prom-client';

/** The limiters report here, so no connector needs a metrics object handed to it; nothing is kept while no worker metrics listen. */
const CHANNEL = 'channelshift:rate-limit-wait';
const waits = diagnosticsChannel.channel(CHANNEL);

interface RateLimitWait {
  limit: string;
  seconds: number;
}

/** Called by a rate limiter as it lets a request go (0 when it went at once), or as it pauses for a longer wait. */
export function reportRateLimitWait(limit: string, seconds: number): void {
  if (waits.hasSubscribers) waits.publish({ limit, seconds } satisfies RateLimitWait);
}

/** `channelshift_rate_limit_wait_seconds{limit}`: how long requests waited for room under each vendor's rate. */
export function rateLimitWaitHistogram(registry: Registry): () => void {
  const histogram = new Histogram({
    name: 'channelshift_rate_limit_wait_seconds',
    help: 'Time a vendor request waited for room under its rate limit (0: it went at once); an extraction paused between rate windows counts its pause',
    labelNames: ['limit'],
    buckets: [0, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600],
    registers: [registry],
  });
  const onWait = (message: unknown) => {
    const { limit, seconds } = message as RateLimitWait;
    histogram.observe({ limit }, seconds);
  };
  diagnosticsChannel.subscribe(CHANNEL, onWait);
  return () => diagnosticsChannel.unsubscribe(CHANNEL, onWait);
}
