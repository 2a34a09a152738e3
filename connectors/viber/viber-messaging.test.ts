import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import type { DeliveryReceipt, InboundEvents, InboundMessage } from '../../activities/opt-in/inbound-events.ts';
import { openDatabase } from '../../database/connect.ts';
import type { Database } from '../../database/schema.ts';
import { emulatedCustomers } from '../emulated-customers.ts';
import { listenOnLoopback, type LoopbackServer } from '../loopback-server.ts';
import { createViberBotClient } from './bot-client.ts';
import { signViberBody } from './content-signature.ts';
import { startViberEmulator, type ViberEmulator, type ViberUser } from './emulator.ts';
import { viberWebhookHandler } from './webhook-handler.ts';

const AUTH_TOKEN = 'viber-messaging-test-token';
// Every id this file writes starts with it: the tables are shared with the rest of the suite.
const prefix = `vm-${randomUUID().slice(0, 8)}`;
const NOTICE = 'We are moving to WhatsApp. Reply YES to get our messages there, or STOP to opt out.';
const SENDER = 'Souq Al Madina';

/** A recording InboundEvents; `failures` makes the next calls throw, as a database that is down would. */
class RecordedEvents implements InboundEvents {
  messages: InboundMessage[] = [];
  receipts: DeliveryReceipt[] = [];
  failures = 0;

  async message(event: InboundMessage): Promise<void> {
    this.#failIfTold();
    this.messages.push(event);
  }

  async receipt(event: DeliveryReceipt): Promise<void> {
    this.#failIfTold();
    this.receipts.push(event);
  }

  async whatsAppStatus(): Promise<void> {
    throw new Error('the Viber route must not report WhatsApp statuses');
  }

  #failIfTold(): void {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('ledger unavailable');
    }
  }
}

let db: Kysely<Database>;
let webhook: LoopbackServer;
let webhookUrl: string;
const events = new RecordedEvents();

beforeAll(async () => {
  db = await openDatabase({ kind: 'postgres', url: inject('databaseUrl') });
  webhook = await listenOnLoopback(createServer(viberWebhookHandler({ db, bot: prefix, authToken: AUTH_TOKEN, events })));
  webhookUrl = `${webhook.url}/webhooks/viber`;
});

afterAll(async () => {
  await db.deleteFrom('viber_events').where('bot', '=', prefix).execute();
  await db.deleteFrom('viber_subscribers').where('bot', '=', prefix).execute();
  await webhook.close();
  await db.destroy();
});

function user(name: string): ViberUser {
  return { id: `${prefix}-${name}==`, name: `User ${name}`, country: 'ae', language: 'ar', phone: null };
}

function eventsWithToken(token: string) {
  return db.selectFrom('viber_events').selectAll().where('bot', '=', prefix).where('message_token', '=', token).execute();
}

/** A callback as Viber writes it, its 64-bit token a JSON number. */
function callbackBody(fields: Record<string, unknown>, token: string): string {
  return `${JSON.stringify(fields).slice(0, -1)},"message_token":${token}}`;
}

async function postCallback(body: string, signature: string): Promise<number> {
  const response = await fetch(webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-viber-content-signature': signature }, body });
  await response.text();
  return response.status;
}

function randomToken(): string {
  return `61${String(Math.floor(Math.random() * 1e16)).padStart(16, '0')}1`;
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const failure = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(failure).toBeInstanceOf(ApplicationFailure);
  return failure as ApplicationFailure;
}

describe('Viber broadcast from the bot client through the emulator to the webhook', () => {
  const amira = user('amira');
  const omar = user('omar');
  const layla = user('layla');
  const leaver = user('leaver');
  const stranger = `${prefix}-stranger==`;
  let emulator: ViberEmulator;

  beforeAll(async () => {
    const customers = emulatedCustomers(
      new Map([
        [amira.id, { answers: [{ text: 'نعم', delayMs: 30 }], onWhatsApp: true }],
        [omar.id, { answers: [{ text: 'STOP', delayMs: 60 }], onWhatsApp: true }],
      ]),
    );
    emulator = await startViberEmulator({ users: [amira, omar, layla, leaver], authToken: AUTH_TOKEN, customers });
  });
  afterAll(() => emulator.close());

  it('sets the webhook with set_webhook once the route answers Viber’s signed check', async () => {
    const setWebhook = (url: string) =>
      fetch(`${emulator.url}/set_webhook`, {
        method: 'POST',
        headers: { 'x-viber-auth-token': AUTH_TOKEN, 'content-type': 'application/json' },
        body: JSON.stringify({ url }),
      }).then((response) => response.json());

    // Nothing listens on port 1: the check callback cannot be answered.
    expect(await setWebhook('http://127.0.0.1:1/webhooks/viber')).toMatchObject({ status: 1, status_message: 'invalidUrl' });
    expect(await setWebhook(webhookUrl)).toMatchObject({ status: 0, status_message: 'ok' });
    const checks = await db.selectFrom('viber_events').select('event').where('bot', '=', prefix).where('event', '=', 'webhook').execute();
    expect(checks).toHaveLength(1);
  });

  it('delivers to subscribers, reports receipts and the customers’ replies, and fails the others with status 6', async () => {
    // Leaving the bot is a callback Viber sends; after it Viber no longer delivers to that user.
    await emulator.deliverCallbacks(webhookUrl, { users: [leaver], unsubscribe: [leaver.id] });
    const client = createViberBotClient({ baseUrl: emulator.url, authToken: AUTH_TOKEN });

    const outcome = await client.broadcastMessage({ receivers: [amira.id, omar.id, stranger, layla.id, leaver.id], text: NOTICE, senderName: SENDER });
    await emulator.settled();

    // A 64-bit token, beyond what a JavaScript number holds, kept to the digit on both sides.
    expect(BigInt(outcome.messageToken)).toBeGreaterThan(BigInt(Number.MAX_SAFE_INTEGER));
    expect(outcome.failed).toEqual([
      { receiver: stranger, status: 6, statusMessage: 'Not subscribed' },
      { receiver: leaver.id, status: 6, statusMessage: 'Not subscribed' },
    ]);
    expect(emulator.sentMessages().map(({ messageToken, receiver, text }) => ({ messageToken, receiver, text }))).toEqual(
      [amira, omar, layla].map((u) => ({ messageToken: outcome.messageToken, receiver: u.id, text: NOTICE })),
    );

    // Each subscriber's message is delivered, then seen as they open it.
    const receipts = events.receipts.filter((r) => r.providerMessageId === outcome.messageToken);
    for (const status of ['delivered', 'read'] as const) {
      const of = receipts.filter((r) => r.status === status);
      expect(of.map((r) => r.recipient).sort()).toEqual([amira.id, layla.id, omar.id].sort());
      for (const receipt of of) expect(receipt).toMatchObject({ provider: 'viber', at: expect.any(Date) });
    }
    expect(receipts).toHaveLength(6);

    const replies = events.messages.map(({ from, text, channel, provider }) => ({ from, text, channel, provider }));
    expect(replies.sort((a, b) => a.from.localeCompare(b.from))).toEqual([
      { from: amira.id, text: 'نعم', channel: 'viber', provider: 'viber' },
      { from: omar.id, text: 'STOP', channel: 'viber', provider: 'viber' },
    ]);
    // Each reply has a token of its own, and the route recorded it before handing it over.
    for (const reply of events.messages) {
      expect(reply.providerMessageId).not.toBe(outcome.messageToken);
      expect((await eventsWithToken(reply.providerMessageId)).map((e) => e.event)).toEqual(['message']);
    }
  });

  it('refuses a broadcast with a sender name longer than 28 characters for good, sending nothing', async () => {
    const client = createViberBotClient({ baseUrl: emulator.url, authToken: AUTH_TOKEN });
    const before = emulator.sentMessages().length;
    const failure = await failureOf(client.broadcastMessage({ receivers: [amira.id], text: NOTICE, senderName: 'S'.repeat(29) }));
    expect(failure).toMatchObject({ type: 'ViberRejected', nonRetryable: true });
    expect(failure.message).toMatch(/status 3/);
    expect(emulator.sentMessages()).toHaveLength(before);
  });
});

describe('Viber broadcast rate and failures', () => {
  const reader = user('reader');

  it('refuses calls beyond the rate with status 12, which the client classes as retryable after the window', async () => {
    const emulator = await startViberEmulator({ users: [reader], authToken: AUTH_TOKEN, broadcastRate: { requests: 3, intervalMs: 1000 } });
    try {
      emulator.useWebhooks({ url: webhookUrl });
      // A client told a rate higher than Viber's own.
      const eager = createViberBotClient({ baseUrl: emulator.url, authToken: AUTH_TOKEN, broadcastRate: { requests: 10, intervalMs: 1000 } });
      for (let i = 0; i < 3; i++) await eager.broadcastMessage({ receivers: [reader.id], text: NOTICE, senderName: SENDER });

      const failure = await failureOf(eager.broadcastMessage({ receivers: [reader.id], text: NOTICE, senderName: SENDER }));
      expect(failure).toMatchObject({ type: 'ViberUnavailable', nonRetryable: false, nextRetryDelay: 1000 });
      expect(failure.message).toMatch(/status 12/);
      expect(emulator.sentMessages()).toHaveLength(3);
      await emulator.settled();
    } finally {
      await emulator.close();
    }
  });

  it('keeps within the rate it is given when callers broadcast at once', async () => {
    const emulator = await startViberEmulator({ users: [reader], authToken: AUTH_TOKEN, broadcastRate: { requests: 3, intervalMs: 500 } });
    try {
      emulator.useWebhooks({ url: webhookUrl });
      const client = createViberBotClient({ baseUrl: emulator.url, authToken: AUTH_TOKEN, broadcastRate: { requests: 3, intervalMs: 500 } });
      const started = performance.now();
      const outcomes = await Promise.all(
        Array.from({ length: 7 }, () => client.broadcastMessage({ receivers: [reader.id], text: NOTICE, senderName: SENDER })),
      );
      expect(outcomes.every((outcome) => outcome.failed.length === 0)).toBe(true);
      expect(emulator.maxBroadcastsInAnyWindow(500)).toBe(3);
      // Seven calls at three per 500 ms take two windows of waiting.
      expect(performance.now() - started).toBeGreaterThanOrEqual(1000);
      await emulator.settled();
    } finally {
      await emulator.close();
    }
  });

  it('classes server errors as retryable, and a wrong token, a missing webhook or too many receivers as final', async () => {
    const failing = await startViberEmulator({ users: [reader], authToken: AUTH_TOKEN, faults: { serverErrorRate: 1 } });
    const plain = await startViberEmulator({ users: [reader], authToken: AUTH_TOKEN });
    try {
      failing.useWebhooks({ url: webhookUrl });
      const broadcast = { receivers: [reader.id], text: NOTICE, senderName: SENDER };
      const onFailing = createViberBotClient({ baseUrl: failing.url, authToken: AUTH_TOKEN });
      expect(await failureOf(onFailing.broadcastMessage(broadcast))).toMatchObject({ type: 'ViberUnavailable', nonRetryable: false });

      // No webhook set yet: Viber sends nothing (status 10).
      const noWebhook = await failureOf(createViberBotClient({ baseUrl: plain.url, authToken: AUTH_TOKEN }).broadcastMessage(broadcast));
      expect(noWebhook).toMatchObject({ type: 'ViberRejected', nonRetryable: true });
      expect(noWebhook.message).toMatch(/status 10/);

      plain.useWebhooks({ url: webhookUrl });
      const wrongToken = await failureOf(createViberBotClient({ baseUrl: plain.url, authToken: 'wrong' }).broadcastMessage(broadcast));
      expect(wrongToken).toMatchObject({ type: 'ViberRejected', nonRetryable: true });
      expect(wrongToken.message).toMatch(/auth token/);

      // Refused by the client itself, before it spends a call.
      const callsSoFar = plain.maxBroadcastsInAnyWindow(60_000);
      const client = createViberBotClient({ baseUrl: plain.url, authToken: AUTH_TOKEN });
      const tooMany = Array.from({ length: 301 }, (_, i) => `${prefix}-many-${i}==`);
      expect(await failureOf(client.broadcastMessage({ ...broadcast, receivers: tooMany }))).toMatchObject({ type: 'ViberBroadcastInvalid', nonRetryable: true });
      expect(plain.maxBroadcastsInAnyWindow(60_000)).toBe(callsSoFar);
      expect(plain.sentMessages()).toEqual([]);
    } finally {
      await Promise.all([failing.close(), plain.close()]);
    }
  });
});

describe('Viber webhook handing callbacks over to the opt-in campaign', () => {
  const sender = { id: `${prefix}-sender==`, name: 'Sender', country: 'ae', language: 'ar', api_version: 10 };

  it('refuses a forged callback with 403, handing over and recording nothing', async () => {
    const token = randomToken();
    const body = callbackBody({ event: 'message', timestamp: Date.now(), sender, message: { type: 'text', text: 'yes' } }, token);
    const before = events.messages.length;

    expect(await postCallback(body, signViberBody(body, 'someone-elses-token'))).toBe(403);
    expect(events.messages).toHaveLength(before);
    expect(await eventsWithToken(token)).toEqual([]);
  });

  it('answers 500 while the campaign cannot take a callback, and hands it over when Viber sends it again', async () => {
    const token = randomToken();
    const at = Date.UTC(2026, 4, 2, 9, 30, 0);
    const body = callbackBody({ event: 'failed', timestamp: at, user_id: sender.id, desc: 'user blocked the bot' }, token);
    events.failures = 1;

    expect(await postCallback(body, signViberBody(body, AUTH_TOKEN))).toBe(500);
    expect(await postCallback(body, signViberBody(body, AUTH_TOKEN))).toBe(200);
    expect(events.receipts.filter((r) => r.providerMessageId === token)).toEqual([
      { provider: 'viber', providerMessageId: token, recipient: sender.id, status: 'failed', at: new Date(at) },
    ]);
    expect(await eventsWithToken(token)).toHaveLength(1);
  });

  it('does not take a shared contact for a reply, and hands a seen receipt over as read', async () => {
    const contact = callbackBody(
      { event: 'message', timestamp: Date.now(), sender, message: { type: 'contact', contact: { name: 'Sender', phone_number: '+971501234567' } } },
      randomToken(),
    );
    const seen = callbackBody({ event: 'seen', timestamp: Date.now(), user_id: sender.id }, randomToken());
    const before = { messages: events.messages.length, receipts: events.receipts.length };

    expect(await postCallback(contact, signViberBody(contact, AUTH_TOKEN))).toBe(200);
    expect(await postCallback(seen, signViberBody(seen, AUTH_TOKEN))).toBe(200);
    expect(events.messages.length).toBe(before.messages);
    expect(events.receipts.slice(before.receipts)).toEqual([expect.objectContaining({ provider: 'viber', recipient: sender.id, status: 'read' })]);
  });
});
