import { sql } from 'kysely';
import type { ActivityDependencies } from '../dependencies.ts';
import { campaignPlan, type OptInCampaignInput } from '../../workflows/opt-in-campaign-input.ts';
import { contactLanguage } from './contact-language.ts';

export interface PlannedCampaign {
  campaignId: string;
  batches: number;
  recipients: number;
  /** The campaign closed before: a run started again (by a late reply) only activates and settles. */
  closed: boolean;
}

/**
 * Chooses, once, who the campaign asks and how: contacts not unlikely to have WhatsApp, on Viber when the business
 * knows their Viber id, else by SMS through the vendor the config names for their country, in their language.
 * A retried or restarted plan finds the stored one.
 */
export function planCampaignActivity({ db }: Pick<ActivityDependencies, 'db'>) {
  return async function planCampaign(input: OptInCampaignInput): Promise<PlannedCampaign> {
    const plan = campaignPlan(input);
    const planned = await db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(hashtext(${`campaign:${plan.campaignId}`}))`.execute(trx);
      const existing = await trx.selectFrom('campaigns').selectAll().where('campaign_id', '=', plan.campaignId).executeTakeFirst();
      if (existing) return { campaignId: plan.campaignId, batches: existing.batches, recipients: existing.recipients, closed: existing.closed_at !== null };

      const countries = await trx.selectFrom('contacts').select('country').distinct().where('migration_id', '=', plan.migrationId).where('country', 'is not', null).execute();
      const available = Object.keys(plan.texts);
      const languageOf = countries.map((c) => [c.country!, contactLanguage(c.country, null, available, plan.defaultLanguage)] as const);
      const vendorOf = Object.entries(plan.smsVendorByCountry);
      const inserted = await sql<{ recipients: number }>`
        WITH planned AS (
          INSERT INTO campaign_recipients (campaign_id, contact_id, batch_no, e164, channel, vendor, address, language, country)
          SELECT ${plan.campaignId}, c.id, c.batch_no, c.e164,
                 CASE WHEN on_viber THEN 'viber' ELSE 'sms' END,
                 CASE WHEN on_viber THEN 'viber' ELSE coalesce(v.vendor, ${plan.smsVendor}) END,
                 CASE WHEN on_viber THEN c.viber_user_id ELSE c.e164 END,
                 coalesce(l.language, ${plan.defaultLanguage}), c.country
          FROM contacts AS c
          CROSS JOIN LATERAL (SELECT c.viber_user_id IS NOT NULL AND 'viber' = ANY(c.channels) AS on_viber) AS channel
          LEFT JOIN unnest(${languageOf.map(([country]) => country)}::text[], ${languageOf.map(([, language]) => language)}::text[]) AS l(country, language)
            ON l.country = c.country
          LEFT JOIN unnest(${vendorOf.map(([country]) => country)}::text[], ${vendorOf.map(([, vendor]) => vendor)}::text[]) AS v(country, vendor)
            ON v.country = c.country
          WHERE c.migration_id = ${plan.migrationId}
            AND c.batch_no IS NOT NULL
            AND c.reachability IS DISTINCT FROM 'unlikely'
            AND (on_viber OR 'sms' = ANY(c.channels))
          RETURNING batch_no)
        SELECT count(*)::int AS recipients FROM planned`.execute(trx);
      const recipients = inserted.rows[0]!.recipients;
      const batches = await trx
        .selectFrom('contact_batches')
        .select((e) => e.fn.countAll<number>().as('batches'))
        .where('migration_id', '=', plan.migrationId)
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('campaigns')
        .values({ campaign_id: plan.campaignId, migration_id: plan.migrationId, config: JSON.stringify(input.campaign), batches: Number(batches.batches), recipients })
        .execute();
      return { campaignId: plan.campaignId, batches: Number(batches.batches), recipients, closed: false };
    });
    // Thousands of recipients arrived at once, long before autovacuum looks: with the statistics of an empty table
    // the planner chose nested loops that made each batch of the steps take seconds.
    await sql`ANALYZE campaign_recipients`.execute(db);
    return planned;
  };
}
