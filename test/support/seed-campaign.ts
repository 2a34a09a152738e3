import type { Kysely } from 'kysely';
import type { Database } from '../../database/schema.ts';

export interface SeededRecipient {
  e164: string;
  /** The answer the customer has given already, if any. */
  decision?: 'granted' | 'withdrawn';
}

/**
 * A planned campaign of one batch of UK SMS customers (Vonage), each with a notice in `notice.state` since
 * `notice.at`, written straight into the database so a test starts at the step it is about.
 */
export async function seedCampaign(
  db: Kysely<Database>,
  { campaignId, config, recipients, notice }: { campaignId: string; config: object; recipients: SeededRecipient[]; notice: { state: 'sending' | 'delivered'; at: Date } },
): Promise<void> {
  await db
    .insertInto('campaigns')
    .values({ campaign_id: campaignId, migration_id: campaignId, config: JSON.stringify(config), batches: 1, recipients: recipients.length })
    .execute();
  for (const { e164, decision = null } of recipients) {
    const { id } = await db
      .insertInto('contacts')
      .values({ migration_id: campaignId, e164, name: null, country: 'GB', line_type: 'mobile', channels: ['sms'], last_interaction_at: null, viber_user_id: null, source_rows: 1 })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('campaign_recipients')
      .values({ campaign_id: campaignId, contact_id: id, batch_no: 0, e164, channel: 'sms', vendor: 'vonage', address: e164, language: 'en', country: 'GB', decision, decided_at: decision && notice.at })
      .execute();
    await db
      .insertInto('outbound_messages')
      .values({ campaign_id: campaignId, contact_id: id, step: 'notice', vendor: 'vonage', address: e164, state: notice.state, intent_at: notice.at })
      .execute();
  }
}
