import { sql, type Kysely } from 'kysely';
import type { ActivityDependencies } from '../dependencies.ts';
import type { Database, RolloutSendTable } from '../../database/schema.ts';
import { scenariosByStage, type RolloutStage } from '../../workflows/scenario-rollout-input.ts';
import { cohortOf } from './cohorts.ts';
import { loadRolloutPlan } from './rollout-plans.ts';

/**
 * What one cohort's messages on one channel became. Rates are shares of the messages sent (accepted by the vendor):
 * comparable across channels and cohorts. `read` is null where the channel has no read receipt (SMS).
 */
export interface ChannelOutcome {
  channel: RolloutSendTable['channel'];
  /** `first`: the scenario's message; `fallback`: the old channel making up for a failed or late WhatsApp message. */
  attempt: RolloutSendTable['attempt'];
  sent: number;
  /** Refused by the vendor at once (validation, an unknown template): never sent. */
  refused: number;
  /** Sent, but the answer was lost with its worker and no receipt has come yet. */
  unconfirmed: number;
  delivered: number;
  read: number | null;
  /** Sends answered by a message from the same address on the same channel before the next send there. */
  replied: number;
  deliveryRate: number | null;
  readRate: number | null;
  replyRate: number | null;
  /** From the send to the first reply, in milliseconds. */
  medianResponseMs: number | null;
}

export interface CohortReport {
  /** A cohort of the config, or a group held out of the comparison (`no-consent`, `not-on-whatsapp`). */
  cohort: string;
  /** The cohort's channel in the config; held-out groups are on the old channel. */
  channel: 'whatsapp' | 'old';
  heldOut: boolean;
  /** Contacts of the rollout's audience in this cohort. */
  audience: number;
  /** Fallback messages sent on the old channel for this cohort's WhatsApp messages. */
  fallbacks: number;
  outcomes: ChannelOutcome[];
}

export interface ScenarioReport {
  scenarioId: string;
  stage: RolloutStage;
  cohorts: CohortReport[];
}

/** Counts only: a workflow's result, a CLI's output, nothing about any one customer. */
export interface RolloutReport {
  rolloutId: string;
  migrationId: string;
  audience: number;
  /** In the order their stages ran. */
  scenarios: ScenarioReport[];
}

interface OutcomeRow {
  scenario_id: string;
  cohort: string;
  channel: RolloutSendTable['channel'];
  attempt: RolloutSendTable['attempt'];
  sent: number;
  refused: number;
  unconfirmed: number;
  delivered: number;
  read: number;
  replied: number;
  median_response_ms: number | null;
}

export function rolloutReportActivity({ db }: Pick<ActivityDependencies, 'db'>) {
  return async function rolloutReport(rolloutId: string): Promise<RolloutReport> {
    return buildRolloutReport(db, rolloutId);
  };
}

/** Per scenario, cohort and channel: sent, delivered, read, replied, their rates and the median response time. */
export async function buildRolloutReport(db: Kysely<Database>, rolloutId: string): Promise<RolloutReport> {
  const plan = await loadRolloutPlan(db, rolloutId);
  const { rows } = await sql<OutcomeRow>`
    WITH sends AS (
      SELECT s.*, lead(s.intent_at) OVER (PARTITION BY s.channel, s.address ORDER BY s.intent_at, s.id) AS next_at
      FROM rollout_sends AS s WHERE s.rollout_id = ${rolloutId}),
    replies AS (
      -- Vendors stamp inbound messages to the second: a send counts from the start of its second, and a reply came
      -- within the second its stamp names, no later than we received it.
      SELECT s.id, min(least(i.received_at, i.event_at + interval '1 second')) AS replied_at
      FROM sends AS s
      JOIN inbound_messages AS i
        ON i.channel = s.channel AND i.sender = s.address AND i.event_at >= date_trunc('second', s.intent_at)
       AND (s.next_at IS NULL OR i.event_at < date_trunc('second', s.next_at))
      WHERE s.state = 'sent'
      GROUP BY s.id)
    SELECT s.scenario_id, s.cohort, s.channel, s.attempt,
           count(*) FILTER (WHERE s.state = 'sent')::int AS sent,
           count(*) FILTER (WHERE s.state = 'failed')::int AS refused,
           count(*) FILTER (WHERE s.state = 'sending')::int AS unconfirmed,
           count(*) FILTER (WHERE s.state = 'sent' AND s.delivered_at IS NOT NULL)::int AS delivered,
           count(*) FILTER (WHERE s.state = 'sent' AND s.read_at IS NOT NULL)::int AS read,
           count(r.id)::int AS replied,
           (percentile_cont(0.5) WITHIN GROUP (ORDER BY greatest(0, extract(epoch FROM r.replied_at - coalesce(s.sent_at, s.intent_at)) * 1000))
             FILTER (WHERE r.id IS NOT NULL))::float8 AS median_response_ms
    FROM sends AS s LEFT JOIN replies AS r ON r.id = s.id
    GROUP BY s.scenario_id, s.cohort, s.channel, s.attempt
    ORDER BY s.scenario_id, s.cohort, s.attempt, s.channel`.execute(db);
  const buckets = await db
    .selectFrom('rollout_audience')
    .select(['bucket', 'held_out', (e) => e.fn.countAll<number>().as('contacts')])
    .where('rollout_id', '=', rolloutId)
    .groupBy(['bucket', 'held_out'])
    .execute();

  const scenarios = scenariosByStage(plan.scenarios).flat().map((scenario): ScenarioReport => {
    const audienceOf = new Map<string, number>();
    for (const b of buckets) {
      const cohort = b.held_out ?? cohortOf(b.bucket, scenario.cohorts).name;
      audienceOf.set(cohort, (audienceOf.get(cohort) ?? 0) + Number(b.contacts));
    }
    const outcomes = rows.filter((r) => r.scenario_id === scenario.id);
    const cohort = (name: string, channel: 'whatsapp' | 'old', heldOut: boolean): CohortReport => {
      const mine = outcomes.filter((r) => r.cohort === name);
      return {
        cohort: name,
        channel,
        heldOut,
        audience: audienceOf.get(name) ?? 0,
        fallbacks: mine.filter((r) => r.attempt === 'fallback').reduce((sum, r) => sum + r.sent + r.unconfirmed, 0),
        outcomes: mine.map(channelOutcome),
      };
    };
    const heldOut = [...new Set([...buckets.flatMap((b) => (b.held_out ? [b.held_out] : [])), ...outcomes.map((r) => r.cohort)])].filter(
      (name) => !scenario.cohorts.some((c) => c.name === name),
    );
    return {
      scenarioId: scenario.id,
      stage: scenario.stage,
      cohorts: [...scenario.cohorts.map((c) => cohort(c.name, c.channel, false)), ...heldOut.sort().map((name) => cohort(name, 'old', true))],
    };
  });
  const audience = buckets.reduce((sum, b) => sum + Number(b.contacts), 0);
  return { rolloutId, migrationId: plan.migrationId, audience, scenarios };
}

function channelOutcome(row: OutcomeRow): ChannelOutcome {
  const rate = (n: number | null) => (n === null || row.sent === 0 ? null : n / row.sent);
  // SMS has no read receipt; WhatsApp's `read` and Viber's `seen` are.
  const read = row.channel === 'sms' ? null : row.read;
  return {
    channel: row.channel,
    attempt: row.attempt,
    sent: row.sent,
    refused: row.refused,
    unconfirmed: row.unconfirmed,
    delivered: row.delivered,
    read,
    replied: row.replied,
    deliveryRate: rate(row.delivered),
    readRate: rate(read),
    replyRate: rate(row.replied),
    medianResponseMs: row.median_response_ms === null ? null : Math.round(row.median_response_ms),
  };
}
