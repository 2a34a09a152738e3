import { sql, type Kysely } from 'kysely';
import type { Database } from '../../database/schema.ts';

/** Viber answers `get_user_details` at most twice per user within any 12 hours. */
export const USER_DETAILS_CALLS_PER_USER = 2;
export const USER_DETAILS_WINDOW_MS = 12 * 60 * 60 * 1000;

/**
 * Takes one of Viber's `get_user_details` calls for this user: records it and returns true when fewer than two
 * were taken within the 12 hours before `now`, false (recording nothing) otherwise. Workers asking for the same
 * user at once are served one after the other, so the two calls are never handed out three times.
 */
export async function takeUserDetailsCall(db: Kysely<Database>, userId: string, now: Date): Promise<boolean> {
  const windowStart = new Date(now.getTime() - USER_DETAILS_WINDOW_MS);
  return db.transaction().execute(async (tx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${`viber_user_details:${userId}`}))`.execute(tx);
    // Calls older than the window no longer count against anything.
    await tx.deleteFrom('viber_user_details_calls').where('user_id', '=', userId).where('called_at', '<=', windowStart).execute();
    const { taken } = await tx
      .selectFrom('viber_user_details_calls')
      .select((e) => e.fn.countAll<number>().as('taken'))
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    if (Number(taken) >= USER_DETAILS_CALLS_PER_USER) return false;
    // Two calls in the same millisecond stay two rows: the second is kept a microsecond after the first.
    await sql`
      insert into viber_user_details_calls (user_id, called_at)
      select ${userId}, greatest(${now}::timestamptz, max(called_at) + interval '1 microsecond')
      from viber_user_details_calls where user_id = ${userId}`.execute(tx);
    return true;
  });
}
