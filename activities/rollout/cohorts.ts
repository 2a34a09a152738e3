import { createHash } from 'node:crypto';
import { sql, type RawBuilder } from 'kysely';
import type { RolloutCohort } from '../../workflows/scenario-rollout-input.ts';

/**
 * A contact's bucket (0–99) in a rollout: the first 32 bits of md5("<rollout id>:<contact id>"), modulo 100. The
 * same contact always lands in the same bucket of a rollout, and another rollout shuffles anew. `bucketSql` computes
 * the same in PostgreSQL, so planning assigns millions of contacts in one statement.
 */
export function cohortBucket(rolloutId: string, contactId: string | number): number {
  const hash = createHash('md5').update(`${rolloutId}:${contactId}`).digest();
  return hash.readUInt32BE(0) % 100;
}

/** `cohortBucket` as a PostgreSQL expression over a contact id column. */
export function bucketSql(rolloutId: string, contactId: RawBuilder<unknown>): RawBuilder<number> {
  return sql<number>`(('x' || substr(md5(${rolloutId}::text || ':' || ${contactId}::text), 1, 8))::bit(32)::bigint % 100)::int`;
}

/** The cohort a bucket falls in: cohorts take consecutive ranges of buckets in the order the config lists them. */
export function cohortOf(bucket: number, cohorts: readonly RolloutCohort[]): RolloutCohort {
  let upTo = 0;
  for (const cohort of cohorts) {
    upTo += cohort.percent;
    if (bucket < upTo) return cohort;
  }
  // Percents sum to 100 (the input is validated), so only a bucket outside 0–99 gets here.
  throw new RangeError(`bucket ${bucket} is outside 0–99`);
}
