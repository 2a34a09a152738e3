import type { Kysely } from 'kysely';
import type { Database } from '../../database/schema.ts';

/**
 * Says whether Plivo's V2 nonce is new, and remembers it: V2 signs the URL and the nonce only, so a header pair
 * captured once would sign any body; taken once, in the database (every worker and restart sees it), it signs one.
 */
export function plivoNonceLedger(db: Kysely<Database>): (nonce: string) => Promise<boolean> {
  return async (nonce) => {
    const kept = await db
      .insertInto('webhook_nonces')
      .values({ vendor: 'plivo', nonce })
      .onConflict((oc) => oc.columns(['vendor', 'nonce']).doNothing())
      .returning('nonce')
      .executeTakeFirst();
    return kept !== undefined;
  };
}
