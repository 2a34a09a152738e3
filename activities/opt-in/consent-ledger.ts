import { sql, type Kysely, type Transaction } from 'kysely';
import type { ConsentDecision, Database } from '../../database/schema.ts';

export interface ConsentEvidence {
  e164: string;
  decision: ConsentDecision;
  channel: string;
  provider: string;
  providerMessageId: string;
  /** Who wrote, as the vendor names them (the number, or the Viber user id). */
  address: string;
  /** The customer's words that granted or withdrew consent. */
  text: string;
  at: Date;
  campaignId: string | null;
  contactId: string | null;
}

/**
 * Who said yes or stop, when, on which channel, by which message, in which words. Entries are never changed; a
 * number's current decision is its latest entry by the time the customer wrote it, so a STOP delivered late does
 * not lose to an older yes delivered after it.
 */
export class ConsentLedger {
  readonly #db: Kysely<Database> | Transaction<Database>;

  constructor(db: Kysely<Database> | Transaction<Database>) {
    this.#db = db;
  }

  /** Records the evidence once (by the vendor's message id); returns false when it was recorded before. */
  async record(evidence: ConsentEvidence): Promise<boolean> {
    const entry = await this.#db
      .insertInto('consent_ledger')
      .values({
        e164: evidence.e164,
        decision: evidence.decision,
        channel: evidence.channel,
        provider: evidence.provider,
        provider_message_id: evidence.providerMessageId,
        address: evidence.address,
        text: evidence.text,
        event_at: evidence.at,
        campaign_id: evidence.campaignId,
        contact_id: evidence.contactId,
      })
      .onConflict((oc) => oc.columns(['provider', 'provider_message_id']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!entry) return false;
    await this.#db
      .insertInto('consent_states')
      .values({ e164: evidence.e164, decision: evidence.decision, event_at: evidence.at, ledger_id: entry.id })
      .onConflict((oc) =>
        oc
          .column('e164')
          .doUpdateSet({ decision: evidence.decision, event_at: evidence.at, ledger_id: entry.id })
          .where('consent_states.event_at', '<=', evidence.at),
      )
      .execute();
    return true;
  }

  /** The numbers among `e164s` whose current decision is a withdrawal: nothing may reach them on any channel. */
  async withdrawn(e164s: readonly string[]): Promise<Set<string>> {
    if (e164s.length === 0) return new Set();
    const rows = await this.#db
      .selectFrom('consent_states')
      .select('e164')
      .where('decision', '=', 'withdrawn')
      .where('e164', '=', sql<string>`any(${e164s as string[]}::text[])`)
      .execute();
    return new Set(rows.map((r) => r.e164));
  }
}
