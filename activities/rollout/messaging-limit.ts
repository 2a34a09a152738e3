import { sql, type Kysely } from 'kysely';
import type { Database } from '../../database/schema.ts';

const MESSAGING_WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * How many more customers the business may reach with templates now (its messaging limit: unique customers per
 * moving 24 hours), counting the opt-in welcomes and the rollouts' templates alike, and when the oldest of them
 * leaves the window.
 */
export async function whatsAppRoom(db: Kysely<Database>, limit: number, now: Date): Promise<{ room: number; freesAt: number }> {
  const since = new Date(now.getTime() - MESSAGING_WINDOW_MS);
  const { rows } = await sql<{ users: number; oldest: Date | null }>`
    SELECT count(DISTINCT address)::int AS users, min(intent_at) AS oldest FROM (
      SELECT address, intent_at FROM outbound_messages WHERE vendor = 'whatsapp' AND state <> 'failed' AND intent_at > ${since}
      UNION ALL
      SELECT address, intent_at FROM rollout_sends WHERE form = 'template' AND state <> 'failed' AND intent_at > ${since}) AS reached`.execute(db);
  const { users, oldest } = rows[0]!;
  return { room: limit - users, freesAt: Math.max(now.getTime() + 1000, (oldest ? new Date(oldest).getTime() : now.getTime()) + MESSAGING_WINDOW_MS) };
}
