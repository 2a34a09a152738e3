import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { openDatabase } from '../../database/connect.ts';
import type { Database } from '../../database/schema.ts';
import { listenOnLoopback, type LoopbackServer } from '../loopback-server.ts';
import { createViberBotClient } from './bot-client.ts';
import { signViberBody } from './content-signature.ts';
import { startViberEmulator, type ViberEmulator, type ViberUser } from './emulator.ts';
import { viberRecordToSourceRecord, viberSubscriberToSourceRecord } from './subscriber-mapping.ts';
import { takeUserDetailsCall } from './user-details-allowance.ts';
import { viberWebhookHandler } from './webhook-handler.ts';

const AUTH_TOKEN = 'viber-test-bot-token';
// Every id this file writes starts with it: the tables are shared with the rest of the suite.
const prefix = `vt-${randomUUID().slice(0, 8)}`;
let tokenCounter = 0n;
const tokenBase = 7_300_000_000_000_000_000n + BigInt(Math.floor(Math.random() * 1e12)) * 1000n;

let db: Kysely<Database>;
let webhook: LoopbackServer;
let webhookUrl: string;

beforeAll(async () => {
  db = await openDatabase({ kind: 'postgres', url: inject('databaseUrl') });
  webhook = await listenOnLoopback(createServer(viberWebhookHandler({ db, bot: prefix, authToken: AUTH_TOKEN })));
  webhookUrl = `${webhook.url}/webhooks/viber`;
});

afterAll(async () => {
  await db.deleteFrom('viber_events').where('bot', '=', prefix).execute();
  await db.deleteFrom('viber_subscribers').where('bot', '=', prefix).execute();
  await db.deleteFrom('viber_user_details_calls').where('user_id', 'like', `${prefix}%`).execute();
  await webhook.close();
  await db.destroy();
});

function user(name: string, phone: string | null = null): ViberUser {
  return { id: `${prefix}-${name}`, name: `User ${name}`, country: 'ae', language: 'ar', phone };
}

/** A callback body as Viber writes it, its 64-bit token a JSON number. */
function callbackBody(fields: Record<string, unknown>, token = (tokenBase + tokenCounter++).toString()): string {
  return `${JSON.stringify(fields).slice(0, -1)},"message_token":${token}}`;
}

/** Posts a callback to the webhook, signed right unless told another signature (null: none). */
async function post(body: string, signature: string | null = signViberBody(body, AUTH_TOKEN)): Promise<{ status: number; text: string }> {
  const response = await fetch(webhookUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(signature === null ? {} : { 'x-viber-content-signature': signature }) },
    body,
  });
  return { status: response.status, text: await response.text() };
}

function subscriber(userId: string) {
  return db.selectFrom('viber_subscribers').selectAll().where('user_id', '=', userId).executeTakeFirst();
}

function eventsOf(userId: string) {
  return db.selectFrom('viber_events').selectAll().where('user_id', '=', userId).execute();
}

const callbackUser = (u: ViberUser) => ({ id: u.id, name: u.name, avatar: 'https://avatar.example.com', country: u.country, language: u.language, api_version: 10 });

describe('Viber callbacks delivered by the emulator to the webhook', () => {
  let emulator: ViberEmulator;
  const users = Array.from({ length: 300 }, (_, i) => user(`story-${i}`, i % 3 === 0 ? null : `+97150${String(1_000_000 + i)}`));
  const unsubscribers = users.filter((_, i) => i % 10 === 1).map((u) => u.id);
  beforeAll(async () => {
    emulator = await startViberEmulator({ users, authToken: AUTH_TOKEN });
  });
  afterAll(() => emulator.close());

  it('records every subscriber once, with the phone they shared, refusing forged callbacks', async () => {
    const counts = await emulator.deliverCallbacks(webhookUrl, { unsubscribe: unsubscribers, duplicates: 0.25, forged: 7 });

    const withPhone = users.filter((u) => u.phone !== null).length;
    const originals = 2 * users.length + withPhone + unsubscribers.length;
    const resent = Math.floor(originals * 0.25);
    expect(counts).toEqual({ sent: originals + resent + 7, accepted: originals + resent, refused: 7 });

    const rows = await db.selectFrom('viber_subscribers').selectAll().where('user_id', 'like', `${prefix}-story-%`).execute();
    expect(rows).toHaveLength(users.length);
    const byId = new Map(rows.map((row) => [row.user_id, row]));
    for (const u of users) {
      const row = byId.get(u.id)!;
      expect(row).toMatchObject({ name: u.name, country: 'ae', language: 'ar', phone: u.phone });
      // The forged callbacks would have unsubscribed the first seven users.
      expect(row.subscribed).toBe(!unsubscribers.includes(u.id));
    }
    const events = await db
      .selectFrom('viber_events')
      .select((e) => e.fn.countAll<string>().as('count'))
      .where('user_id', 'like', `${prefix}-story-%`)
      .executeTakeFirstOrThrow();
    expect(Number(events.count)).toBe(originals);
  });
});

describe('Viber webhook', () => {
  it('keeps a callback Viber sends again once, answers it 200, and changes nothing', async () => {
    const u = user('resent', '+971501234567');
    const body = callbackBody({ event: 'subscribed', timestamp: Date.now(), user: callbackUser(u) });
    expect((await post(body)).status).toBe(200);
    const first = await subscriber(u.id);

    expect(await post(body)).toEqual({ status: 200, text: '' });
    expect(await subscriber(u.id)).toEqual(first);
    expect(await eventsOf(u.id)).toHaveLength(1);
  });

  it('keeps two callbacks whose tokens differ beyond what a JavaScript number holds', async () => {
    const u = user('tokens');
    const at = Date.now();
    // As JavaScript numbers these two tokens are equal.
    expect(Number('5400000000000000001')).toBe(Number('5400000000000000002'));
    const token = `54${String(Math.floor(Math.random() * 1e16)).padStart(16, '0')}`;
    expect((await post(callbackBody({ event: 'conversation_started', timestamp: at, type: 'open', user: callbackUser(u), subscribed: false }, `${token}1`))).status).toBe(200);
    expect((await post(callbackBody({ event: 'subscribed', timestamp: at + 1, user: callbackUser(u) }, `${token}2`))).status).toBe(200);

    const events = await eventsOf(u.id);
    expect(events.map((e) => e.message_token).sort()).toEqual([`${token}1`, `${token}2`]);
    expect(await subscriber(u.id)).toMatchObject({ subscribed: true });
  });

  it('records one subscriber when a new user’s callbacks, and a callback sent twice, arrive at the same moment', async () => {
    const u = user('together');
    const at = Date.now() - 10_000;
    const contact = { type: 'contact', contact: { name: u.name, phone_number: '+971505550001' } };
    const twice = callbackBody({ event: 'message', timestamp: at + 2, sender: callbackUser(u), message: contact });
    const answers = await Promise.all([
      post(callbackBody({ event: 'conversation_started', timestamp: at, type: 'open', user: callbackUser(u), subscribed: false })),
      post(callbackBody({ event: 'subscribed', timestamp: at + 1, user: callbackUser(u) })),
      post(twice),
      post(twice),
      post(callbackBody({ event: 'message', timestamp: at + 3, sender: callbackUser(u), message: { type: 'text', text: 'hello' } })),
    ]);

    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(await subscriber(u.id)).toMatchObject({ subscribed: true, phone: '+971505550001', name: u.name, last_event_at: new Date(at + 3) });
    expect(await eventsOf(u.id)).toHaveLength(4);
  });

  it('refuses a forged or unsigned callback with 403 and stores nothing', async () => {
    const u = user('forged');
    const token = (tokenBase + tokenCounter++).toString();
    const body = callbackBody({ event: 'subscribed', timestamp: Date.now(), user: callbackUser(u) }, token);

    expect((await post(body, signViberBody(body, 'someone-elses-token'))).status).toBe(403);
    expect((await post(body, null)).status).toBe(403);
    expect((await post(body, 'not-hex')).status).toBe(403);
    expect(await subscriber(u.id)).toBeUndefined();
    expect(await db.selectFrom('viber_events').select('message_token').where('message_token', '=', token).execute()).toEqual([]);
  });

  it('checks the signature on the bytes as sent: the same callback written again differently fails', async () => {
    const u = user('reserialised');
    const compact = callbackBody({ event: 'subscribed', timestamp: Date.now(), user: callbackUser(u) });
    const signature = signViberBody(compact, AUTH_TOKEN);
    const spaced = JSON.stringify(JSON.parse(compact), null, 2);
    const escaped = compact.replace(u.name, u.name.replace('U', '\\u0055'));

    expect((await post(spaced, signature)).status).toBe(403);
    expect((await post(escaped, signature)).status).toBe(403);
    expect(await subscriber(u.id)).toBeUndefined();
    expect((await post(compact, signature)).status).toBe(200);
  });

  it('lets an unsubscribe win over an older subscribe delivered late, and fills in details from it', async () => {
    const u = user('late');
    const at = Date.UTC(2026, 2, 1, 9, 0, 0);
    expect((await post(callbackBody({ event: 'unsubscribed', timestamp: at + 5000, user_id: u.id }))).status).toBe(200);
    expect((await post(callbackBody({ event: 'subscribed', timestamp: at, user: callbackUser(u) }))).status).toBe(200);

    expect(await subscriber(u.id)).toMatchObject({
      subscribed: false,
      name: u.name,
      country: 'ae',
      subscribed_at: new Date(at),
      unsubscribed_at: new Date(at + 5000),
      last_event_at: new Date(at + 5000),
    });

    // Writing to the bot later subscribes the user again, and shares the phone with the share-phone button.
    const contact = { type: 'contact', contact: { name: u.name, phone_number: '+971509876543' } };
    expect((await post(callbackBody({ event: 'message', timestamp: at + 9000, sender: callbackUser(u), message: contact }))).status).toBe(200);
    expect(await subscriber(u.id)).toMatchObject({ subscribed: true, phone: '+971509876543', last_event_at: new Date(at + 9000) });
  });

  it('does not unsubscribe a subscriber who opens the chat again, and ignores receipts for subscribers', async () => {
    const u = user('reopened');
    const at = Date.now() - 60_000;
    await post(callbackBody({ event: 'subscribed', timestamp: at, user: callbackUser(u) }));
    const before = await subscriber(u.id);
    await post(callbackBody({ event: 'conversation_started', timestamp: at + 1000, type: 'open', user: callbackUser(u), subscribed: false }));
    const reopened = await subscriber(u.id);
    await post(callbackBody({ event: 'seen', timestamp: at + 2000, user_id: u.id }));

    expect(reopened).toMatchObject({ subscribed: true, subscribed_at: before!.subscribed_at, last_event_at: new Date(at + 1000) });
    // Incremental extraction reads rows by updated_at: a receipt must not make the subscriber look changed.
    expect(await subscriber(u.id)).toEqual(reopened);
    expect((await eventsOf(u.id)).map((e) => e.event).sort()).toEqual(['conversation_started', 'seen', 'subscribed']);
  });

  it('answers 400 naming what is wrong with a body that is not a callback, and 413 to one too large', async () => {
    const notJson = await post('{"event":"subscribed",');
    expect(notJson.status).toBe(400);
    expect(notJson.text).toMatch(/JSON/);

    const noUserId = await post(callbackBody({ event: 'subscribed', timestamp: Date.now(), user: { name: 'No Id' } }));
    expect(noUserId).toEqual({ status: 400, text: JSON.stringify({ error: 'subscribed.user.id must be non-empty text, got nothing' }) });

    const noPhone = await post(callbackBody({ event: 'message', timestamp: Date.now(), sender: callbackUser(user('np')), message: { type: 'contact', contact: {} } }));
    expect(JSON.parse(noPhone.text)).toEqual({ error: 'message.message.contact.phone_number must be non-empty text, got nothing' });

    const huge = callbackBody({ event: 'message', timestamp: Date.now(), sender: callbackUser(user('huge')), message: { type: 'text', text: 'x'.repeat(70_000) } });
    expect((await post(huge)).status).toBe(413);
    expect(await subscriber(user('huge').id)).toBeUndefined();
  });
});

describe('Viber get_user_details', () => {
  let emulator: ViberEmulator;
  const known = user('details', '+971501112223');
  beforeAll(async () => {
    emulator = await startViberEmulator({ users: [known, user('limited'), user('allowance')] });
  });
  afterAll(() => emulator.close());

  it('returns the name, country and language Viber knows, and says when it knows no such user', async () => {
    const client = createViberBotClient({ baseUrl: emulator.url, authToken: emulator.authToken });
    expect(await client.getUserDetails(known.id)).toEqual({ id: known.id, name: known.name, country: 'ae', language: 'ar' });
    expect(await client.getUserDetails(`${prefix}-nobody`)).toBe('unknown-user');
  });

  it('fails for good on a wrong auth token, and for a retry on a server error', async () => {
    const wrongToken = createViberBotClient({ baseUrl: emulator.url, authToken: 'wrong' });
    const refused = await wrongToken.getUserDetails(known.id).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ApplicationFailure);
    expect(refused).toMatchObject({ type: 'ViberRejected', nonRetryable: true });
    expect((refused as Error).message).toMatch(/auth token/);

    const failing = await startViberEmulator({ users: [known], faults: { serverErrorRate: 1 } });
    try {
      const client = createViberBotClient({ baseUrl: failing.url, authToken: failing.authToken });
      await expect(client.getUserDetails(known.id)).rejects.toMatchObject({ type: 'ViberUnavailable', nonRetryable: false });
    } finally {
      await failing.close();
    }
  });

  it('the emulator refuses a third call for one user within 12 hours, as Viber does', async () => {
    const limited = user('limited');
    const client = createViberBotClient({ baseUrl: emulator.url, authToken: emulator.authToken });
    expect(await client.getUserDetails(limited.id)).toMatchObject({ id: limited.id });
    expect(await client.getUserDetails(limited.id)).toMatchObject({ id: limited.id });
    expect(await client.getUserDetails(limited.id)).toBe('limit-reached');
    expect(emulator.userDetailsCalls(limited.id)).toBe(3);
  });

  it('the allowance gives two calls per user per 12 hours, once each even when workers ask at the same time', async () => {
    const userId = user('allowance').id;
    const now = new Date(Date.UTC(2026, 3, 1, 8, 0, 0));
    const taken = await Promise.all(Array.from({ length: 6 }, () => takeUserDetailsCall(db, userId, now)));
    expect(taken.filter(Boolean)).toHaveLength(2);

    const client = createViberBotClient({ baseUrl: emulator.url, authToken: emulator.authToken });
    for (const allowed of taken) if (allowed) expect(await client.getUserDetails(userId)).toMatchObject({ id: userId });
    expect(emulator.userDetailsCalls(userId)).toBe(2);

    expect(await takeUserDetailsCall(db, userId, new Date(now.getTime() + 11 * 3_600_000))).toBe(false);
    expect(await takeUserDetailsCall(db, userId, new Date(now.getTime() + 12 * 3_600_000 + 1))).toBe(true);
  });
});

describe('Viber subscribers as source records', () => {
  it('keeps a subscriber who never shared a phone, with phone null', () => {
    const updatedAt = new Date('2026-03-01T10:00:00.000Z');
    const record = viberSubscriberToSourceRecord({
      bot: 'default',
      user_id: 'nloI/TOL2seqOAjHslcr7Q==',
      name: 'Amira',
      country: 'ae',
      language: 'ar',
      phone: null,
      subscribed: true,
      subscribed_at: new Date('2026-02-01T09:00:00.000Z'),
      unsubscribed_at: null,
      last_event_at: new Date('2026-02-20T09:00:00.000Z'),
      updated_at: updatedAt,
    });
    expect(record).toEqual({
      key: 'subscriber:nloI/TOL2seqOAjHslcr7Q==@2026-03-01T10:00:00.000Z',
      channel: 'viber',
      phone: null,
      name: 'Amira',
      country: 'AE',
      interactionAt: new Date('2026-02-20T09:00:00.000Z'),
      direction: null,
      deliveryStatus: null,
      viberUserId: 'nloI/TOL2seqOAjHslcr7Q==',
      fileLine: null,
      raw: {
        user_id: 'nloI/TOL2seqOAjHslcr7Q==',
        name: 'Amira',
        country: 'ae',
        language: 'ar',
        phone: null,
        subscribed: true,
        subscribed_at: '2026-02-01T09:00:00.000Z',
        unsubscribed_at: null,
      },
    });
  });

  it("reads a row of the business's own subscriber records by the named columns", () => {
    const fields = { 'Viber ID': 'abc123==', Name: ' Omar ', Mobile: '0501234567', Country: 'ae', Joined: '2025-12-01', Notes: '' };
    const columns = { viberUserId: 'Viber ID', name: 'Name', phone: 'Mobile', country: 'Country', subscribedAt: 'Joined' };
    expect(viberRecordToSourceRecord(fields, columns, 7, 'f1ng3rpr1nt')).toEqual({
      key: 'record:f1ng3rpr1nt',
      channel: 'viber',
      phone: '0501234567',
      name: 'Omar',
      country: 'AE',
      interactionAt: new Date('2025-12-01'),
      direction: null,
      deliveryStatus: null,
      viberUserId: 'abc123==',
      fileLine: 7,
      raw: fields,
    });
  });
});
