import { ApplicationFailure } from '@temporalio/common';
import type { Kysely } from 'kysely';
import type { Database } from '../../database/schema.ts';
import { campaignPlan, type CampaignConfig, type CampaignPlan } from '../../workflows/opt-in-campaign-input.ts';

/** The campaign's plan as its stored config makes it, so every activity of a campaign works from the same one. */
export async function loadCampaignPlan(db: Kysely<Database>, campaignId: string): Promise<CampaignPlan> {
  const row = await db.selectFrom('campaigns').select(['migration_id', 'config']).where('campaign_id', '=', campaignId).executeTakeFirst();
  if (!row) throw ApplicationFailure.nonRetryable(`campaign "${campaignId}" was never planned`, 'CampaignMissing');
  return campaignPlan({ migrationId: row.migration_id, campaign: row.config as CampaignConfig });
}
