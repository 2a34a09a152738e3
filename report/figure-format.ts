/** How figures and the rollout rows they belong to are written, alike in the HTML report and on the command line. */
import type { ChannelOutcome, CohortReport } from '../activities/rollout/rollout-report.ts';

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function formatRate(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}

/** Plain text: HTML escapes it. */
export function cohortLabel(cohort: CohortReport): string {
  return cohort.heldOut ? `${cohort.cohort} (held out)` : cohort.cohort;
}

/** Plain text: HTML escapes it. */
export function channelLabel(outcome: ChannelOutcome): string {
  return outcome.attempt === 'fallback' ? `${outcome.channel} (fallback)` : outcome.channel;
}
