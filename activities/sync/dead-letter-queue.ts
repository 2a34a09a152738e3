import { sql, type Kysely } from 'kysely';
import type { Database } from '../../database/schema.ts';
import type { CrmName } from '../../connectors/crm-contact.ts';

export interface DeadLetterFilter {
  migrationId?: string;
  crm?: CrmName;
  /** Dead letter ids; all that match the other filters when left out. */
  ids?: number[];
}

export interface DeadLetter {
  id: number;
  migrationId: string;
  crm: string;
  contactId: string;
  e164: string;
  reason: string;
  failedAt: Date;
  retriedAt: Date | null;
  resolvedAt: Date | null;
}

/** The rows a CRM refused, with its reasons: listed for the people fixing them, and sent again once they have. */
export class DeadLetterQueue {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Open ones only, unless `includeResolved`; oldest first. */
  async list(filter: DeadLetterFilter, includeResolved = false): Promise<DeadLetter[]> {
    const rows = await this.#matching(filter)
      .innerJoin('contacts as c', 'c.id', 'd.contact_id')
      .select(['d.id', 'd.migration_id', 'd.vendor', 'd.contact_id', 'c.e164', 'd.reason', 'd.created_at', 'd.retried_at', 'd.resolved_at'])
      .$if(!includeResolved, (q) => q.where('d.resolved_at', 'is', null))
      .orderBy('d.id')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      migrationId: r.migration_id,
      crm: r.vendor,
      contactId: String(r.contact_id),
      e164: r.e164,
      reason: r.reason,
      failedAt: r.created_at,
      retriedAt: r.retried_at,
      resolvedAt: r.resolved_at,
    }));
  }

  /**
   * Makes the open dead letters' contacts due again in their CRM, so the next sync sends them as they are now.
   * Returns which migration and CRM pairs have contacts to send.
   */
  async markForRetry(filter: DeadLetterFilter): Promise<{ migrationId: string; crm: CrmName; contacts: number }[]> {
    return this.#db.transaction().execute(async (trx) => {
      const marked = await new DeadLetterQueue(trx)
        .#matching(filter)
        .select(['d.id', 'd.migration_id', 'd.vendor', 'd.contact_id'])
        .where('d.resolved_at', 'is', null)
        .execute();
      if (marked.length === 0) return [];
      await trx.updateTable('dead_letters').set({ retried_at: new Date() }).where('id', 'in', marked.map((d) => d.id)).execute();
      await sql`
        UPDATE crm_sync_state AS s SET synced_version = 0, synced_fingerprint = NULL
        FROM unnest(${marked.map((d) => d.vendor)}::text[], ${marked.map((d) => String(d.contact_id))}::bigint[]) AS m(crm, contact_id)
        WHERE s.crm = m.crm AND s.contact_id = m.contact_id`.execute(trx);
      const pairs = new Map<string, { migrationId: string; crm: CrmName; contacts: number }>();
      for (const d of marked) {
        const key = `${d.migration_id}\u0000${d.vendor}`;
        const pair = pairs.get(key) ?? { migrationId: d.migration_id, crm: d.vendor as CrmName, contacts: 0 };
        pair.contacts++;
        pairs.set(key, pair);
      }
      return [...pairs.values()];
    });
  }

  #matching({ migrationId, crm, ids }: DeadLetterFilter) {
    return this.#db
      .selectFrom('dead_letters as d')
      .where('d.stage', '=', 'sync')
      .$if(migrationId !== undefined, (q) => q.where('d.migration_id', '=', migrationId!))
      .$if(crm !== undefined, (q) => q.where('d.vendor', '=', crm!))
      .$if(ids !== undefined, (q) => q.where('d.id', 'in', ids!));
  }
}
