import { sql } from 'kysely';
import { Context } from '@temporalio/activity';
import { HUBSPOT_BATCH_LIMIT, type HubSpotContactInput } from '../../connectors/hubspot/client.ts';
import { toHubSpotProperties, type WhatsAppStatus } from '../../connectors/hubspot/contact-mapping.ts';
import type { ActivityDependencies } from '../dependencies.ts';

export interface SyncBatchResult {
  synced: number;
  failed: number;
}

/**
 * Upserts the batch's contacts into HubSpot, 100 at a time, keyed by their E.164 property so a repeated
 * write updates the same record. Each answer is stored before the next request: a retry sends only the
 * contacts with no stored outcome. A contact HubSpot refuses goes to the dead letters with HubSpot's reason.
 */
export function syncBatchActivity({ db, hubspot, clock }: Pick<ActivityDependencies, 'db' | 'hubspot' | 'clock'>) {
  return async function syncBatch(migrationId: string, batchNo: number): Promise<SyncBatchResult> {
    await hubspot.ensureContactProperties();
    for (;;) {
      const contacts = await db
        .selectFrom('contacts')
        .leftJoin('dead_letters', (join) =>
          join.onRef('dead_letters.contact_id', '=', 'contacts.id').on('dead_letters.stage', '=', 'sync'),
        )
        .select(['contacts.id', 'e164', 'name', 'country', 'reachability', 'whatsapp_state', 'wa_id'])
        .where('contacts.migration_id', '=', migrationId)
        .where('batch_no', '=', batchNo)
        .where('synced_at', 'is', null)
        .where('dead_letters.id', 'is', null)
        .orderBy('contacts.id')
        .limit(HUBSPOT_BATCH_LIMIT)
        .execute();
      if (contacts.length === 0) break;

      // The contact id is the write's trace id: unique in the batch, and the same on a retry.
      const inputs: HubSpotContactInput[] = contacts.map((c) => ({
        idValue: c.e164,
        traceId: String(c.id),
        properties: toHubSpotProperties({
          e164: c.e164,
          name: c.name,
          country: c.country,
          whatsAppStatus: whatsAppStatusOf(c),
          waId: c.wa_id,
        }),
      }));
      const outcome = await hubspot.upsertContacts(inputs);
      const now = clock();
      await db.transaction().execute(async (trx) => {
        if (outcome.succeeded.length > 0) {
          await sql`
            UPDATE contacts AS c SET crm_id = u.crm_id, synced_at = ${now}
            FROM unnest(${outcome.succeeded.map((s) => s.traceId)}::bigint[], ${outcome.succeeded.map((s) => s.hubspotId)}::text[])
              AS u(id, crm_id)
            WHERE c.id = u.id`.execute(trx);
        }
        if (outcome.failed.length > 0) {
          await trx
            .insertInto('dead_letters')
            .values(outcome.failed.map((f) => ({ migration_id: migrationId, stage: 'sync', contact_id: f.traceId, vendor: 'hubspot', reason: f.reason })))
            .onConflict((oc) => oc.doNothing())
            .execute();
        }
      });
      Context.current().heartbeat();
    }

    await db
      .updateTable('contact_batches')
      .set({ synced_at: clock() })
      .where('migration_id', '=', migrationId)
      .where('batch_no', '=', batchNo)
      .execute();
    return batchSyncState(migrationId, batchNo);
  };

  async function batchSyncState(migrationId: string, batchNo: number): Promise<SyncBatchResult> {
    const { synced } = await db
      .selectFrom('contacts')
      .select((e) => e.fn.count<number>('synced_at').as('synced'))
      .where('migration_id', '=', migrationId)
      .where('batch_no', '=', batchNo)
      .executeTakeFirstOrThrow();
    const { failed } = await db
      .selectFrom('dead_letters')
      .innerJoin('contacts', 'contacts.id', 'dead_letters.contact_id')
      .select((e) => e.fn.countAll<number>().as('failed'))
      .where('dead_letters.migration_id', '=', migrationId)
      .where('dead_letters.stage', '=', 'sync')
      .where('contacts.batch_no', '=', batchNo)
      .executeTakeFirstOrThrow();
    return { synced: Number(synced), failed: Number(failed) };
  }
}

/** Delivery proves it either way; without a delivery, only a contacts check's yes (which gave a `wa_id`) counts. */
function whatsAppStatusOf(c: { whatsapp_state: string | null; wa_id: string | null }): WhatsAppStatus {
  if (c.whatsapp_state === 'active' || (c.whatsapp_state === null && c.wa_id !== null)) return 'on_whatsapp';
  return c.whatsapp_state === 'not_on_whatsapp' ? 'not_on_whatsapp' : 'unknown';
}
