import { sql, type Kysely } from 'kysely';
import type { Database } from '../../database/schema.ts';
import { ConsentLedger } from './consent-ledger.ts';
import type { DeliveryReceipt, InboundEvents, InboundMessage, WhatsAppStatus } from './inbound-events.ts';
import { classifyReply } from './reply-intent.ts';

/** Wakes the campaign a decided reply belongs to (signal-with-start: a closed campaign starts again to act on it). */
export type CampaignNudge = (campaignId: string) => Promise<void>;

/** Wakes the CRM live sync after a change the CRMs show (a consent, a WhatsApp state). */
export type CrmNudge = () => Promise<void>;

/** Meta's code for a message to a number that is not on WhatsApp. */
export const NOT_ON_WHATSAPP = 131026;

/**
 * Stores what the webhooks received, once each, and acts on it: a yes or a STOP enters the consent ledger, a
 * receipt settles a send (a campaign's or a rollout's), a WhatsApp status settles a contact's activation and what
 * became of a rollout's message. Every write is keyed by the vendor's
 * id, so a webhook delivered twice, or retried after a 500, changes nothing the second time.
 */
export function inboundEventRecorder({ db, nudge, crmChanged = async () => {} }: { db: Kysely<Database>; nudge: CampaignNudge; crmChanged?: CrmNudge }): InboundEvents {
  return {
    async message(event: InboundMessage) {
      const intent = classifyReply(event.text);
      const recipient = await db
        .selectFrom('campaign_recipients as r')
        .innerJoin('campaigns as c', 'c.campaign_id', 'r.campaign_id')
        .select(['r.campaign_id', 'r.contact_id', 'r.e164'])
        .where(event.channel === 'whatsapp' ? 'r.e164' : 'r.address', '=', event.from)
        .orderBy('c.created_at', 'desc')
        .limit(1)
        .executeTakeFirst();
      // A number writing by SMS or WhatsApp is known by its number even when no campaign asked it.
      const e164 = recipient?.e164 ?? (event.channel === 'viber' ? null : event.from);
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('inbound_messages')
          .values({
            provider: event.provider,
            provider_message_id: event.providerMessageId,
            channel: event.channel,
            sender: event.from,
            text: event.text,
            intent,
            event_at: event.at,
            campaign_id: recipient?.campaign_id ?? null,
            contact_id: recipient?.contact_id ?? null,
          })
          .onConflict((oc) => oc.columns(['provider', 'provider_message_id']).doNothing())
          .execute();
        if (intent === 'undecided' || e164 === null) return;
        const decision = intent === 'yes' ? 'granted' : 'withdrawn';
        await new ConsentLedger(trx).record({
          e164,
          decision,
          channel: event.channel,
          provider: event.provider,
          providerMessageId: event.providerMessageId,
          address: event.from,
          text: event.text,
          at: event.at,
          campaignId: recipient?.campaign_id ?? null,
          contactId: recipient?.contact_id ?? null,
        });
        if (!recipient) return;
        await trx
          .updateTable('campaign_recipients')
          .set({ decision, decided_at: event.at })
          .where('campaign_id', '=', recipient.campaign_id)
          .where('contact_id', '=', recipient.contact_id)
          .where((w) => w.or([w('decided_at', 'is', null), w('decided_at', '<=', event.at)]))
          .execute();
      });
      // Nudged on every delivery, duplicates too: the first delivery's nudge may be what failed.
      if (recipient && intent === 'yes') await nudge(recipient.campaign_id);
      if (intent !== 'undecided' && e164 !== null && (await inSomeCrm(db, { e164 }))) await crmChanged();
    },

    async receipt(event: DeliveryReceipt) {
      const reference = event.reference !== undefined && /^\d{1,18}$/.test(event.reference) ? event.reference : undefined;
      // A message read was delivered: the campaign keeps no more than that.
      const status = event.status === 'read' ? 'delivered' : event.status;
      await db
        .updateTable('outbound_messages')
        .set({
          // Delivered is final: a late "sent" or a duplicate changes nothing.
          state: sql`CASE WHEN state = 'delivered' THEN 'delivered' WHEN ${status} = 'sent' AND state = 'failed' THEN 'failed' ELSE ${status} END`,
          vendor_message_id: sql`coalesce(vendor_message_id, ${event.providerMessageId ?? null})`,
          receipt_at: event.at,
        })
        .where('vendor', '=', event.provider)
        .where('address', '=', event.recipient)
        .where((w) =>
          w.or([
            ...(reference ? [w('id', '=', reference)] : []),
            ...(event.providerMessageId ? [w('vendor_message_id', '=', event.providerMessageId)] : []),
            // A send whose answer died with its worker has no vendor id yet; its receipt still proves it went out.
            ...(event.provider === 'viber' ? [w('state', '=', 'sending')] : []),
          ]),
        )
        .execute();
      await recordRolloutReceipt(db, event);
    },

    async whatsAppStatus(event: WhatsAppStatus) {
      const reference = event.callbackData !== undefined && /^\d{1,18}$/.test(event.callbackData) ? event.callbackData : undefined;
      const settledContact = await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('whatsapp_status_events')
          .values({ wamid: event.wamid, status: event.status, event_at: event.at, wa_id: event.waId, error_codes: JSON.stringify(event.errorCodes) })
          .onConflict((oc) => oc.columns(['wamid', 'status']).doNothing())
          .execute();
        const message = await trx
          .updateTable('outbound_messages')
          .set({
            state: sql`CASE WHEN state = 'delivered' THEN 'delivered' ELSE ${outboundState(event.status)} END`,
            vendor_message_id: event.wamid,
            receipt_at: event.at,
          })
          .where('vendor', '=', 'whatsapp')
          .where((w) => w.or([w('vendor_message_id', '=', event.wamid), ...(reference ? [w('id', '=', reference)] : [])]))
          .returning('contact_id')
          .executeTakeFirst()
          .then((campaignMessage) => campaignMessage ?? recordRolloutStatus(trx, event));
        if (!message) return undefined;
        const settled = activationOf(event);
        if (settled === 'sent') {
          await trx.updateTable('contacts').set({ whatsapp_state: 'sent' }).where('id', '=', message.contact_id).where('whatsapp_state', 'is', null).execute();
          return undefined;
        }
        // Statuses arrive out of order and twice: a delivery, once seen, is never undone by a later failure.
        const updated = await trx
          .updateTable('contacts')
          .set({ whatsapp_state: settled, whatsapp_settled_at: event.at, ...(settled === 'active' ? { wa_id: event.waId } : {}) })
          .where('id', '=', message.contact_id)
          .where((w) => w.or([w('whatsapp_state', 'is', null), w('whatsapp_state', 'in', settled === 'active' ? ['sent', 'unknown', 'failed', 'not_on_whatsapp'] : ['sent', 'unknown'])]))
          .executeTakeFirst();
        return updated.numUpdatedRows > 0n ? message.contact_id : undefined;
      });
      if (settledContact !== undefined && (await inSomeCrm(db, { contactId: settledContact }))) await crmChanged();
    },
  };
}

/**
 * Whether a CRM holds the contact already: only then is there anything to send at once. A campaign's replies before
 * the migration's sync wake nothing; the sync sends them with the rest.
 */
async function inSomeCrm(db: Kysely<Database>, contact: { e164: string } | { contactId: string }): Promise<boolean> {
  const held = await db
    .selectFrom('crm_sync_state as s')
    .innerJoin('contacts as c', 'c.id', 's.contact_id')
    .select('s.contact_id')
    .where('s.synced_at', 'is not', null)
    .where('e164' in contact ? 'c.e164' : 'c.id', '=', 'e164' in contact ? contact.e164 : contact.contactId)
    .limit(1)
    .executeTakeFirst();
  return held !== undefined;
}

/** Our reference on a rollout's message (`r<row id>`), apart from the campaign's plain row ids. */
function rolloutReference(reference: string | undefined): string | undefined {
  return reference !== undefined && /^r\d{1,18}$/.test(reference) ? reference.slice(1) : undefined;
}

/** A receipt for a rollout's SMS or Viber message: it went out, and was delivered (and on Viber seen) or not. The first word on each stays. */
async function recordRolloutReceipt(db: Kysely<Database>, event: DeliveryReceipt): Promise<void> {
  const reference = rolloutReference(event.reference);
  if (reference === undefined && event.providerMessageId === undefined) return;
  await db
    .updateTable('rollout_sends')
    .set({
      state: sql`CASE WHEN state = 'sending' THEN 'sent' ELSE state END`,
      vendor_message_id: sql`coalesce(vendor_message_id, ${event.providerMessageId ?? null})`,
      ...(event.status === 'delivered' || event.status === 'read' ? { delivered_at: sql`coalesce(delivered_at, ${event.at})` } : {}),
      ...(event.status === 'read' ? { read_at: sql`coalesce(read_at, ${event.at})` } : {}),
      ...(event.status === 'failed' ? { failed_at: sql`coalesce(failed_at, ${event.at})` } : {}),
    })
    .where('vendor', '=', event.provider)
    .where('address', '=', event.recipient)
    .where((w) => w.or([...(reference ? [w('id', '=', reference)] : []), ...(event.providerMessageId ? [w('vendor_message_id', '=', event.providerMessageId)] : [])]))
    .execute();
}

/** A WhatsApp status of a rollout's message: delivered, read (which is delivered too) or failed with Meta's code. */
async function recordRolloutStatus(trx: Kysely<Database>, event: WhatsAppStatus): Promise<{ contact_id: string } | undefined> {
  const reference = rolloutReference(event.callbackData);
  const delivered = event.status === 'delivered' || event.status === 'read';
  return trx
    .updateTable('rollout_sends')
    .set({
      state: sql`CASE WHEN state = 'sending' THEN 'sent' ELSE state END`,
      vendor_message_id: event.wamid,
      ...(delivered ? { delivered_at: sql`coalesce(delivered_at, ${event.at})` } : {}),
      ...(event.status === 'read' ? { read_at: sql`coalesce(read_at, ${event.at})` } : {}),
      ...(event.status === 'failed' ? { failed_at: sql`coalesce(failed_at, ${event.at})`, error_code: sql`coalesce(error_code, ${event.errorCodes[0] ?? null}::int)` } : {}),
    })
    .where('vendor', '=', 'whatsapp')
    .where((w) => w.or([w('vendor_message_id', '=', event.wamid), ...(reference ? [w('id', '=', reference)] : [])]))
    .returning('contact_id')
    .executeTakeFirst();
}

function outboundState(status: WhatsAppStatus['status']): 'sent' | 'delivered' | 'failed' {
  if (status === 'delivered' || status === 'read') return 'delivered';
  return status === 'failed' ? 'failed' : 'sent';
}

function activationOf(event: WhatsAppStatus): 'sent' | 'active' | 'not_on_whatsapp' | 'failed' {
  if (event.status === 'delivered' || event.status === 'read') return 'active';
  if (event.status === 'failed') return event.errorCodes.includes(NOT_ON_WHATSAPP) ? 'not_on_whatsapp' : 'failed';
  return 'sent';
}
