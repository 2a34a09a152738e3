import type { Kysely } from 'kysely';
import type { Database, RolloutSendTable } from '../../database/schema.ts';

/**
 * Lets the batch's sends whose answer was lost go again once their grace is over (no status or receipt proved them
 * sent: their row is removed, so the next pass sends them), and says when the youngest still waiting is due.
 */
export async function releaseUnconfirmed(
  db: Kysely<Database>,
  send: { rolloutId: string; scenarioId: string; attempt: RolloutSendTable['attempt']; batchNo: number },
  graceMs: number,
  now: Date,
): Promise<number | null> {
  const unconfirmed = db
    .selectFrom('rollout_sends')
    .where('rollout_id', '=', send.rolloutId)
    .where('scenario_id', '=', send.scenarioId)
    .where('attempt', '=', send.attempt)
    .where('state', '=', 'sending')
    .where('contact_id', 'in', (q) => q.selectFrom('rollout_audience').select('contact_id').where('rollout_id', '=', send.rolloutId).where('batch_no', '=', send.batchNo));
  await db
    .deleteFrom('rollout_sends')
    .where('id', 'in', unconfirmed.select('id').where('intent_at', '<', new Date(now.getTime() - graceMs)))
    .execute();
  const waiting = await unconfirmed.select((e) => e.fn.min('intent_at').as('oldest')).executeTakeFirst();
  return waiting?.oldest ? new Date(waiting.oldest).getTime() + graceMs : null;
}
