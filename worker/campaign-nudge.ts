import type { Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import type { Database } from '../database/schema.ts';
import type { CampaignNudge } from '../activities/opt-in/inbound-event-recorder.ts';
import { consentReceivedSignal, optInCampaignWorkflow } from '../workflows/opt-in-campaign.ts';
import { campaignWorkflowId, type CampaignConfig } from '../workflows/opt-in-campaign-input.ts';
import { coalesced } from './coalesced-nudge.ts';

/**
 * Signals the campaign that a decided reply arrived, starting its workflow again from the stored config when it
 * has closed (signal-with-start), so a late yes is still welcomed on WhatsApp. The signal carries nothing about
 * the contact: the workflow reads the ledger.
 */
export function campaignNudge({ client, taskQueue, db }: { client: Client; taskQueue: string; db: Kysely<Database> }): CampaignNudge {
  return coalesced(async (campaignId) => {
    const campaign = await db.selectFrom('campaigns').select(['migration_id', 'config']).where('campaign_id', '=', campaignId).executeTakeFirst();
    if (!campaign) return;
    await client.workflow.signalWithStart(optInCampaignWorkflow, {
      workflowId: campaignWorkflowId(campaignId),
      taskQueue,
      args: [{ migrationId: campaign.migration_id, campaign: campaign.config as CampaignConfig }],
      signal: consentReceivedSignal,
      signalArgs: [],
    });
  });
}
