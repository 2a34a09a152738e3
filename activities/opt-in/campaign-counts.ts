import { sql, type Kysely } from 'kysely';
import type { Database } from '../../database/schema.ts';
import type { ActivityDependencies } from '../dependencies.ts';

/** Counts only: what a person watching the campaign needs, nothing about any one contact. */
export interface CampaignCounts {
  recipients: number;
  notices: number;
  reminders: number;
  /** Sends a vendor refused (each with its reason on the message's row). */
  refused: number;
  granted: number;
  withdrawn: number;
  /** Recipients with no yes or STOP (silent, or a reply read as neither). */
  undecided: number;
  welcomes: number;
  active: number;
  notOnWhatsApp: number;
  activationFailed: number;
  activationUnknown: number;
}

export async function campaignCounts(db: Kysely<Database>, campaignId: string): Promise<CampaignCounts> {
  const { rows } = await sql<Record<keyof CampaignCounts, number>>`
    SELECT
      (SELECT count(*) FROM campaign_recipients WHERE campaign_id = ${campaignId})::int AS recipients,
      count(*) FILTER (WHERE o.step = 'notice' AND o.state <> 'failed')::int AS notices,
      count(*) FILTER (WHERE o.step = 'reminder' AND o.state <> 'failed')::int AS reminders,
      count(*) FILTER (WHERE o.step <> 'welcome' AND o.state = 'failed')::int AS refused,
      (SELECT count(*) FROM campaign_recipients WHERE campaign_id = ${campaignId} AND decision = 'granted')::int AS granted,
      (SELECT count(*) FROM campaign_recipients WHERE campaign_id = ${campaignId} AND decision = 'withdrawn')::int AS withdrawn,
      (SELECT count(*) FROM campaign_recipients WHERE campaign_id = ${campaignId} AND decision IS NULL)::int AS undecided,
      count(*) FILTER (WHERE o.step = 'welcome')::int AS welcomes,
      count(*) FILTER (WHERE o.step = 'welcome' AND c.whatsapp_state = 'active')::int AS active,
      count(*) FILTER (WHERE o.step = 'welcome' AND c.whatsapp_state = 'not_on_whatsapp')::int AS "notOnWhatsApp",
      count(*) FILTER (WHERE o.step = 'welcome' AND c.whatsapp_state = 'failed')::int AS "activationFailed",
      count(*) FILTER (WHERE o.step = 'welcome' AND c.whatsapp_state = 'unknown')::int AS "activationUnknown"
    FROM outbound_messages AS o JOIN contacts AS c ON c.id = o.contact_id
    WHERE o.campaign_id = ${campaignId}`.execute(db);
  return rows[0]!;
}

export function campaignCountsActivity({ db }: Pick<ActivityDependencies, 'db'>) {
  return (campaignId: string): Promise<CampaignCounts> => campaignCounts(db, campaignId);
}

/** Marks the campaign closed (once) and reports where it ended; replies after this still enter the ledger. */
export function closeCampaignActivity({ db, clock }: Pick<ActivityDependencies, 'db' | 'clock'>) {
  return async function closeCampaign(campaignId: string): Promise<CampaignCounts> {
    await db.updateTable('campaigns').set({ closed_at: clock() }).where('campaign_id', '=', campaignId).where('closed_at', 'is', null).execute();
    return campaignCounts(db, campaignId);
  };
}
