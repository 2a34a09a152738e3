import { MockActivityEnvironment } from '@temporalio/testing';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabase } from '../database/connect.ts';
import type { Database } from '../database/schema.ts';
import { startSandboxEmulators, type SandboxEmulators } from '../demo/sandbox-emulators.ts';
import { inboundEventRecorder } from '../activities/opt-in/inbound-event-recorder.ts';
import { sendCampaignStepActivity } from '../activities/opt-in/send-campaign-step.ts';
import { builtInTexts } from '../workflows/opt-in-campaign-input.ts';
import { createConnectors } from '../worker/connector-settings.ts';
import { createSandboxDatabase, type SandboxDatabase } from './support/sandbox-database.ts';
import { seedCampaign } from './support/seed-campaign.ts';

const CAMPAIGN = 'stop-while-reminding';
const NOW = new Date('2026-12-06T10:00:00Z');
const CUSTOMERS = ['+447700900201', '+447700900202', '+447700900203'];
const STOPPED = CUSTOMERS[1]!;

/**
 * A database whose first statement writing campaign messages waits until `meanwhile` is done: the step has read
 * its recipients and is about to claim their sends when the customer's STOP is recorded.
 */
function databaseWithStopBeforeClaim(url: string, meanwhile: () => Promise<void>): Kysely<Database> {
  const pool = new pg.Pool({ connectionString: url });
  let happened = false;
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (text: unknown, values?: unknown) => Promise<unknown>;
    client.query = (async (text: unknown, values?: unknown) => {
      if (!happened && typeof text === 'string' && /^\s*insert into "?outbound_messages"?/i.test(text)) {
        happened = true;
        await meanwhile();
      }
      return query(text, values);
    }) as typeof client.query;
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

describe('a STOP that arrives while a reminder chunk is being planned', () => {
  let database: SandboxDatabase;
  let db: Kysely<Database>;
  let emulators: SandboxEmulators;

  beforeAll(async () => {
    database = await createSandboxDatabase(inject('databaseUrl'));
    db = await openDatabase({ kind: 'postgres', url: database.url });
    emulators = await startSandboxEmulators();
    await seedCampaign(db, { campaignId: CAMPAIGN, config: { quietHours: null }, recipients: CUSTOMERS.map((e164) => ({ e164 })), notice: { state: 'delivered', at: NOW } });
  });
  afterAll(async () => {
    await emulators.close();
    await db.destroy();
    await database.drop();
  });

  it('keeps the reminder from that customer and sends it to the others', async () => {
    const receiver = inboundEventRecorder({ db, nudge: async () => {} });
    const stopWhilePlanning = databaseWithStopBeforeClaim(database.url, () =>
      receiver.message({ provider: 'vonage', providerMessageId: 'stop-1', channel: 'sms', from: STOPPED, text: 'STOP', at: NOW }),
    );
    try {
      const sendCampaignStep = sendCampaignStepActivity({ db: stopWhilePlanning, messaging: createConnectors(emulators.settings).messaging, clock: () => NOW });
      const result = await new MockActivityEnvironment().run(sendCampaignStep, CAMPAIGN, 'reminder' as const, 0);

      const reminded = emulators.vonageMessaging.sentMessages().filter((sms) => sms.text === builtInTexts.en!.reminder);
      expect(reminded.map((sms) => sms.to).sort()).toEqual([CUSTOMERS[0], CUSTOMERS[2]]);
      expect(result).toEqual({ sent: 2, retryAt: null });
      const stopped = await db.selectFrom('consent_states').select('decision').where('e164', '=', STOPPED).executeTakeFirst();
      expect(stopped?.decision).toBe('withdrawn');
    } finally {
      await stopWhilePlanning.destroy();
    }
  });
});
