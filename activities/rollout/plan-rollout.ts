import { sql } from 'kysely';
import type { ActivityDependencies } from '../dependencies.ts';
import { rolloutPlan, type ScenarioRolloutInput } from '../../workflows/scenario-rollout-input.ts';
import { bucketSql } from './cohorts.ts';

export interface PlannedRollout {
  batches: number;
  audience: number;
}

/**
 * Fixes, once, who a rollout reaches and how: the migration's contacts with a known old channel (the one their
 * opt-in campaign used, else their Viber id or SMS through the configured vendor), each with its cohort bucket.
 * Contacts without a granted consent, or already known not to be on WhatsApp, are held out of the comparison: they
 * get the scenarios on their old channel, and both cohorts stay made of the same kind of customer. A retried or
 * restarted plan finds the stored one.
 */
export function planRolloutActivity({ db }: Pick<ActivityDependencies, 'db'>) {
  return async function planRollout(input: ScenarioRolloutInput): Promise<PlannedRollout> {
    const plan = rolloutPlan(input);
    return db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(hashtext(${`rollout:${plan.rolloutId}`}))`.execute(trx);
      const existing = await trx.selectFrom('rollouts').select(['batches', 'audience']).where('rollout_id', '=', plan.rolloutId).executeTakeFirst();
      if (existing) return existing;

      const vendorOf = Object.entries(plan.smsVendorByCountry);
      const inserted = await sql<{ audience: number; batches: number }>`
        WITH reached AS (
          SELECT c.id, c.e164, c.viber_user_id, c.whatsapp_state, s.decision, asked.channel, asked.vendor, asked.address,
                 c.viber_user_id IS NOT NULL AND 'viber' = ANY(c.channels) AS on_viber,
                 'sms' = ANY(c.channels) AS on_sms,
                 coalesce(v.vendor, ${plan.smsVendor}) AS sms_vendor
          FROM contacts AS c
          LEFT JOIN consent_states AS s ON s.e164 = c.e164
          LEFT JOIN LATERAL (
            SELECT r.channel, r.vendor, r.address FROM campaign_recipients AS r
            JOIN campaigns AS k ON k.campaign_id = r.campaign_id
            WHERE r.contact_id = c.id AND k.migration_id = c.migration_id
            ORDER BY k.created_at DESC LIMIT 1) AS asked ON true
          LEFT JOIN unnest(${vendorOf.map(([country]) => country)}::text[], ${vendorOf.map(([, vendor]) => vendor)}::text[]) AS v(country, vendor)
            ON v.country = c.country
          WHERE c.migration_id = ${plan.migrationId}),
        known AS (
          SELECT id, e164, viber_user_id, whatsapp_state, decision,
                 coalesce(channel, CASE WHEN on_viber THEN 'viber' WHEN on_sms THEN 'sms' END) AS old_channel,
                 coalesce(vendor, CASE WHEN on_viber THEN 'viber' WHEN on_sms THEN sms_vendor END) AS old_vendor,
                 coalesce(address, CASE WHEN on_viber THEN viber_user_id WHEN on_sms THEN e164 END) AS old_address
          FROM reached),
        planned AS (
          INSERT INTO rollout_audience (rollout_id, contact_id, batch_no, bucket, held_out, e164, old_channel, old_vendor, old_address)
          SELECT ${plan.rolloutId}, id, ((row_number() OVER (ORDER BY id)) - 1) / ${plan.batchSize},
                 ${bucketSql(plan.rolloutId, sql.ref('id'))},
                 CASE WHEN decision IS DISTINCT FROM 'granted' THEN 'no-consent' WHEN whatsapp_state = 'not_on_whatsapp' THEN 'not-on-whatsapp' END,
                 e164, old_channel, old_vendor, old_address
          FROM known WHERE old_channel IS NOT NULL
          RETURNING batch_no)
        SELECT count(*)::int AS audience, coalesce(max(batch_no) + 1, 0)::int AS batches FROM planned`.execute(trx);
      const planned = inserted.rows[0]!;
      await trx
        .insertInto('rollouts')
        .values({ rollout_id: plan.rolloutId, migration_id: plan.migrationId, config: JSON.stringify(input), batches: planned.batches, audience: planned.audience })
        .execute();
      return planned;
    });
  };
}
