import type { Kysely } from 'kysely';
import type { Database } from '../../database/schema.ts';
import { groupCommit } from '../../database/group-commit.ts';
import { reportRecordingLag } from '../../metrics/webhook-recording-lag.ts';
import type { DeliveryReceipt, InboundEvents, InboundMessage, Provider, WhatsAppStatus } from './inbound-events.ts';
import { recordReceipts } from './record-receipts.ts';
import { recordReplies } from './record-replies.ts';
import { recordWhatsAppStatuses } from './record-whatsapp-statuses.ts';
import type { Wakes } from './wakes.ts';

/** Wakes the campaign a decided reply belongs to (signal-with-start: a closed campaign starts again to act on it). */
export type CampaignNudge = (campaignId: string) => Promise<void>;

/** Wakes the CRM live sync after a change the CRMs show (a consent, a WhatsApp state). */
export type CrmNudge = () => Promise<void>;

/** Events of a kind in one batch at most, and batches of a kind written side by side: a campaign's peak in a few short transactions. */
const BATCHES = { maxBatch: 500, writers: 2 };

/**
 * Stores what the webhooks received, once each, and acts on it: a yes or a STOP enters the consent ledger, a
 * receipt settles a send (a campaign's or a rollout's), a WhatsApp status settles a contact's activation and what
 * became of a rollout's message. Every write is keyed by the vendor's id, so a webhook delivered twice, or retried
 * after a 500, changes nothing the second time.
 *
 * Events that arrive together are recorded together, a batch in a few statements (group commit): a campaign's
 * receipts and replies come by the thousand a second, and a STOP queued behind them is a STOP the next message does
 * not see. Replies have batches of their own, so no pile of receipts holds one up. An event the database refuses is
 * tried again alone, so it fails only its own webhook.
 */
export function inboundEventRecorder({ db, nudge, crmChanged = async () => {} }: { db: Kysely<Database>; nudge: CampaignNudge; crmChanged?: CrmNudge }): InboundEvents {
  const replies = inBatches<InboundMessage, Wakes>((batch) => recordReplies(db, batch));
  const receipts = inBatches<DeliveryReceipt, Wakes>((batch) => recordReceipts(db, batch).then(() => batch.map((): Wakes => ({ crm: false }))));
  const statuses = inBatches<WhatsAppStatus, Wakes>((batch) => db.transaction().execute((trx) => recordWhatsAppStatuses(trx, batch)));

  const woken = async (wakes: Wakes): Promise<void> => {
    // Woken on every delivery, duplicates too: the first delivery's wake may be what failed.
    if (wakes.campaignId !== undefined) await nudge(wakes.campaignId);
    if (wakes.crm) await crmChanged();
  };
  return {
    message: async (event) => woken(await replies(event)),
    receipt: async (event) => woken(await receipts(event)),
    whatsAppStatus: async (event) => woken(await statuses(event)),
  };
}

/**
 * `record` a batch at a time; when the database refuses a batch, each of its events is tried alone. Each recorded
 * event reports how long after its own timestamp it was recorded.
 */
function inBatches<E extends { at: Date; provider?: Provider }, R>(record: (batch: E[]) => Promise<R[]>): (event: E) => Promise<R> {
  const recordTogether = async (events: E[]): Promise<PromiseSettledResult<R>[]> => {
    try {
      const results = await record(events);
      const recordedAt = Date.now();
      for (const event of events) reportRecordingLag(event.provider ?? 'whatsapp', recordedAt - event.at.getTime());
      return results.map((value) => ({ status: 'fulfilled', value }));
    } catch (reason) {
      if (events.length === 1) return [{ status: 'rejected', reason }];
      return (await Promise.all(events.map((event) => recordTogether([event])))).flat();
    }
  };
  return groupCommit(BATCHES, recordTogether);
}
