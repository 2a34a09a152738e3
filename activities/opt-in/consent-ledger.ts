import { sql, type Expression, type Kysely, type RawBuilder, type Transaction } from 'kysely';
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

  /**
   * Records each piece of evidence once (by the vendor's message id), in one statement; evidence recorded before
   * changes nothing. Each number's current decision moves to its newest entry, unless the one it has was written
   * later (of two written at the same moment, the later in the list wins, as one by one it would).
   */
  async record(evidence: readonly ConsentEvidence[]): Promise<void> {
    if (evidence.length === 0) return;
    const rows = evidence.map((e, ord) => ({
      ord,
      e164: e.e164,
      decision: e.decision,
      channel: e.channel,
      provider: e.provider,
      provider_message_id: e.providerMessageId,
      address: e.address,
      text: e.text,
      event_at: e.at.toISOString(),
      campaign_id: e.campaignId,
      contact_id: e.contactId,
    }));
    await sql`
      WITH evidence AS (
        SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS e(ord int, e164 text, decision text, channel text, provider text,
          provider_message_id text, address text, text text, event_at timestamptz, campaign_id text, contact_id bigint)
      ), entry AS (
        INSERT INTO consent_ledger (e164, decision, channel, provider, provider_message_id, address, text, event_at, campaign_id, contact_id)
        SELECT e164, decision, channel, provider, provider_message_id, address, text, event_at, campaign_id, contact_id FROM evidence ORDER BY ord
        ON CONFLICT (provider, provider_message_id) DO NOTHING
        RETURNING id, e164, decision, event_at, provider, provider_message_id
      ), latest AS (
        SELECT DISTINCT ON (entry.e164) entry.e164, entry.decision, entry.event_at, entry.id
        FROM entry JOIN evidence USING (provider, provider_message_id)
        ORDER BY entry.e164, entry.event_at DESC, evidence.ord DESC
      )
      INSERT INTO consent_states AS s (e164, decision, event_at, ledger_id)
      SELECT e164, decision, event_at, id FROM latest
      ON CONFLICT (e164) DO UPDATE SET decision = excluded.decision, event_at = excluded.event_at, ledger_id = excluded.ledger_id
      WHERE s.event_at <= excluded.event_at`.execute(this.#db);
  }

  /**
   * True while the number in `e164` has not withdrawn: for the statement that claims a send, so the check and the
   * claim see the ledger at the same moment and nothing read earlier can outlive a STOP.
   */
  static notWithdrawn(e164: Expression<string>): RawBuilder<boolean> {
    return sql<boolean>`NOT EXISTS (SELECT 1 FROM consent_states AS withdrawn WHERE withdrawn.e164 = ${e164} AND withdrawn.decision = 'withdrawn')`;
  }
}
