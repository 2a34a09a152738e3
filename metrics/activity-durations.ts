import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { Histogram, type Registry } from 'prom-client';

/**
 * `channelshift_activity_duration_seconds{activity,outcome}`: every activity attempt this worker runs (verifyBatch,
 * syncCrmChanges, ...), timed by an interceptor, ending `completed`, `failed` (Temporal retries it) or `cancelled`.
 */
export function activityDurations(registry: Registry): ActivityInterceptorsFactory {
  const histogram = new Histogram({
    name: 'channelshift_activity_duration_seconds',
    help: 'Duration of each activity attempt, by activity and outcome (completed, failed, cancelled)',
    labelNames: ['activity', 'outcome'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200],
    registers: [registry],
  });
  return (context) => ({
    inbound: {
      async execute(input, next) {
        const end = histogram.startTimer({ activity: context.info.activityType });
        try {
          const result = await next(input);
          end({ outcome: 'completed' });
          return result;
        } catch (error) {
          end({ outcome: context.cancellationSignal.aborted ? 'cancelled' : 'failed' });
          throw error;
        }
      },
    },
  });
}
