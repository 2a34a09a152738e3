import { sql, type Kysely } from 'kysely';
import type { Database } from '../../database/schema.ts';
import type { ViberCallback, ViberCallbackUser } from './callbacks.ts';

/** The bot a worker receives callbacks for when VIBER_BOT does not name one. */
export const DEFAULT_VIBER_BOT = 'default';

/** What one callback tells about one subscriber. */
interface SubscriberNews {
  userId: string;
  at: Date;
  details: { name?: string; country?: string; language?: string; phone?: string };
  /** Viber said the user is subscribed (true) or has unsubscribed (false) at `at`; absent when the event says neither. */
  subscribed?: boolean;
}

/**
 * Keeps a callback once by its bot, `message_token` and event, and what it says about its user in `viber_subscribers`, in one
 * statement (so at once, and safe with callbacks for one user arriving together): Viber sends a callback again
 * until it is answered 200, and callbacks arrive out of order. 'duplicate': the callback was already kept,
 * nothing changed. 'ignored': kept, but it says nothing about a subscriber (webhook check, message receipts).
 *
 * Each of `subscribed_at` and `unsubscribed_at` keeps the latest time Viber said so (a message counts as saying
 * subscribed), and the state follows the later of the two, so an older callback delivered late never overturns
 * a newer state. Details from a newer event replace older ones; an older event's details only fill gaps.
 * `updated_at` moves only when the row changes, so incremental extraction stages a subscriber again only then.
 */
export async function recordViberCallback(db: Kysely<Database>, bot: string, callback: ViberCallback, now: Date): Promise<'recorded' | 'duplicate' | 'ignored'> {
  const news = newsOf(callback);
  const kept = sql`
    insert into viber_events (bot, message_token, event, user_id, event_at, body, received_at)
    values (${bot}, ${callback.message_token}, ${callback.event}, ${userIdOf(callback)}, ${new Date(callback.timestamp)}::timestamptz, ${JSON.stringify(callback)}::jsonb, ${now})
    on conflict (bot, message_token, event) do nothing
    returning message_token`;
  if (news === undefined) {
    const { rows } = await kept.execute(db);
    return rows.length === 0 ? 'duplicate' : 'ignored';
  }

  const newer = sql`excluded.last_event_at >= s.last_event_at`;
  const detail = (column: string) =>
    sql`case when ${newer} then coalesce(excluded.${sql.ref(column)}, s.${sql.ref(column)}) else coalesce(s.${sql.ref(column)}, excluded.${sql.ref(column)}) end`;
  const subscribedAt = sql`greatest(s.subscribed_at, excluded.subscribed_at)`;
  const unsubscribedAt = sql`greatest(s.unsubscribed_at, excluded.unsubscribed_at)`;
  const merged = {
    name: detail('name'),
    country: detail('country'),
    language: detail('language'),
    phone: detail('phone'),
    subscribed_at: subscribedAt,
    unsubscribed_at: unsubscribedAt,
    last_event_at: sql`greatest(s.last_event_at, excluded.last_event_at)`,
  };
  // On a tie the unsubscribe wins: without consent the business must not message the user.
  const subscribed = sql`${subscribedAt} is not null and (${unsubscribedAt} is null or ${subscribedAt} > ${unsubscribedAt})`;
  const { details, at } = news;
  const saidSubscribed = news.subscribed === true ? at : null;
  const saidUnsubscribed = news.subscribed === false ? at : null;
  const { rows } = await sql<{ kept: number }>`
    with kept as (${kept}),
    written as (
      insert into viber_subscribers as s (bot, user_id, name, country, language, phone, subscribed, subscribed_at, unsubscribed_at, last_event_at, updated_at)
      select ${bot}, ${news.userId}, ${details.name ?? null}::text, ${details.country ?? null}::text, ${details.language ?? null}::text,
        ${details.phone ?? null}::text, ${saidSubscribed !== null}, ${saidSubscribed}::timestamptz, ${saidUnsubscribed}::timestamptz, ${at}::timestamptz, ${now}::timestamptz
      from kept
      on conflict (bot, user_id) do update set
        ${sql.join(Object.entries(merged).map(([column, value]) => sql`${sql.ref(column)} = ${value}`))},
        subscribed = ${subscribed},
        updated_at = excluded.updated_at
      where (${sql.join(Object.values(merged))}) is distinct from (${sql.join(Object.keys(merged).map((column) => sql`s.${sql.ref(column)}`))})
    )
    select count(*)::int as kept from kept`.execute(db);
  return rows[0]!.kept === 0 ? 'duplicate' : 'recorded';
}

function userIdOf(callback: ViberCallback): string | null {
  switch (callback.event) {
    case 'webhook':
      return null;
    case 'subscribed':
    case 'conversation_started':
      return callback.user.id;
    case 'message':
      return callback.sender.id;
    default:
      return callback.user_id;
  }
}

function newsOf(callback: ViberCallback): SubscriberNews | undefined {
  const at = new Date(callback.timestamp);
  switch (callback.event) {
    case 'subscribed':
      return { userId: callback.user.id, at, details: detailsOf(callback.user), subscribed: true };
    case 'conversation_started':
      // Opening the chat does not subscribe anyone, and `subscribed: false` here is no unsubscribe either.
      return { userId: callback.user.id, at, details: detailsOf(callback.user), ...(callback.subscribed ? { subscribed: true } : {}) };
    case 'message': {
      const phone = callback.message.type === 'contact' ? present(callback.message.contact?.phone_number) : undefined;
      return { userId: callback.sender.id, at, details: { ...detailsOf(callback.sender), ...(phone ? { phone } : {}) }, subscribed: true };
    }
    case 'unsubscribed':
      return { userId: callback.user_id, at, details: {}, subscribed: false };
    default:
      return undefined;
  }
}

function detailsOf(user: ViberCallbackUser): SubscriberNews['details'] {
  const details: SubscriberNews['details'] = {};
  for (const field of ['name', 'country', 'language'] as const) {
    const value = present(user[field]);
    if (value !== undefined) details[field] = value;
  }
  return details;
}

function present(text: string | undefined): string | undefined {
  return text === undefined || text.trim() === '' ? undefined : text;
}
