import { MockActivityEnvironment } from '@temporalio/testing';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabase } from '../../database/connect.ts';
import type { Database } from '../../database/schema.ts';
import { startSandboxEmulators, type SandboxEmulators } from '../../demo/sandbox-emulators.ts';
import { createSandboxDatabase, type SandboxDatabase } from '../../test/support/sandbox-database.ts';
import { seedCampaign } from '../../test/support/seed-campaign.ts';
import { createConnectors } from '../../worker/connector-settings.ts';
import { campaignCounts } from './campaign-counts.ts';
import { sendCampaignStepActivity } from './send-campaign-step.ts';

const CAMPAIGN = 'unconfirmed-notices';
const NOW = new Date('2026-11-24T10:00:00Z');
const AN_HOUR_AGO = new Date(NOW.getTime() - 3_600_000);

describe('notices whose answer was lost with a worker, an hour ago, with no receipt since', () => {
  let database: SandboxDatabase;
  let db: Kysely<Database>;
  let emulators: SandboxEmulators;

  beforeAll(async () => {
    database = await createSandboxDatabase(inject('databaseUrl'));
    db = await openDatabase({ kind: 'postgres', url: database.url });
    emulators = await startSandboxEmulators();
    await seedCampaign(db, {
      campaignId: CAMPAIGN,
      config: { quietHours: null, unconfirmedResendAfter: '10 minutes' },
      // The first customer has answered, though no receipt ever came for their notice.
      recipients: [{ e164: '+447700900101', decision: 'granted' }, { e164: '+447700900102' }],
      notice: { state: 'sending', at: AN_HOUR_AGO },
    });
  });
  afterAll(async () => {
    await emulators.close();
    await db.destroy();
    await database.drop();
  });

  it('are sent again to the customer who has not answered, and kept, not resent, for the one who did', async () => {
    const sendCampaignStep = sendCampaignStepActivity({ db, messaging: createConnectors(emulators.settings).messaging, clock: () => NOW });
    const result = await new MockActivityEnvironment().run(sendCampaignStep, CAMPAIGN, 'notice' as const, 0);

    expect(result).toEqual({ sent: 1, retryAt: null });
    expect(emulators.vonageMessaging.sentMessages().map((sms) => sms.to)).toEqual(['+447700900102']);
    const notices = await db.selectFrom('outbound_messages').select(['address', 'state']).where('campaign_id', '=', CAMPAIGN).orderBy('address').execute();
    expect(notices).toEqual([
      { address: '+447700900101', state: 'sending' },
      { address: '+447700900102', state: 'sent' },
    ]);
    expect(await campaignCounts(db, CAMPAIGN)).toMatchObject({ recipients: 2, notices: 2, refused: 0 });
  });
});
