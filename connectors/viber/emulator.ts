import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { text } from 'node:stream/consumers';
import type { EmulatedCustomers } from '../emulated-customers.ts';
import { seededRandom } from '../seeded-random.ts';
import { listenOnLoopback } from '../loopback-server.ts';
import { emulatorWebhookSender, WEBHOOK_CONNECTIONS, type WebhookSender } from '../emulator-webhook-sender.ts';
import { VIBER_BROADCAST_RATE, VIBER_BROADCAST_RECEIVERS } from './bot-client.ts';
import { signViberBody } from './content-signature.ts';
import { USER_DETAILS_CALLS_PER_USER, USER_DETAILS_WINDOW_MS } from './user-details-allowance.ts';
import { busiestWindow } from '../busiest-window.ts';

/** A Viber user of the emulated bot, with the phone they share with the share-phone button (null: never shared). */
export interface ViberUser {
  id: string;
  name: string;
  country: string;
  language: string;
  phone: string | null;
}

export interface ViberEmulatorOptions {
  port?: number;
  authToken?: string;
  /** The bot's subscribers; a broadcast to anyone else fails for that receiver with status 6. */
  users: ViberUser[];
  /** Trouble for `get_user_details` and `broadcast_message`, drawn from a seeded generator so a run can be repeated. */
  faults?: { serverErrorRate?: number; seed?: number };
  /** `broadcast_message` calls per rolling window; beyond it Viber answers status 12. Default VIBER_BROADCAST_RATE. */
  broadcastRate?: { requests: number; intervalMs: number };
  /** Who answers a broadcast, by Viber user id. Default: nobody answers. */
  customers?: EmulatedCustomers;
  /** Share of delivered messages the customer opens (a `seen` callback); one who answers has opened it. Default 1. */
  seenRate?: number;
}

export interface DeliveryOptions {
  /** Whose stories to send. Default: every user of the emulator. */
  users?: ViberUser[];
  /** Users who unsubscribe after their story. */
  unsubscribe?: string[];
  /** Share of the callbacks (0 to 1) that Viber sends a second time, as it does when unsure the first arrived. */
  duplicates?: number;
  /** How many callbacks to send signed with a wrong token, as a forger would. */
  forged?: number;
  /** Requests in flight at once. Default 16. */
  concurrency?: number;
}

export interface DeliveryCounts {
  /** Callbacks sent, resent duplicates and forged ones included (retries of one callback count once). */
  sent: number;
  /** Answered 200, at the first try or a retry. */
  accepted: number;
  /** Never answered 200. */
  refused: number;
}

/** A broadcast message that reached a subscriber: the ground truth of what the bot sent. */
export interface SentViberMessage {
  messageToken: string;
  receiver: string;
  text: string;
  at: Date;
}

export interface ViberEmulator {
  /** The Chat API base, like `https://chatapi.viber.com/pa`: `${url}/get_user_details`. */
  url: string;
  authToken: string;
  /** `get_user_details` requests received (for one user, or all), refused ones included. */
  userDetailsCalls(userId?: string): number;
  /**
   * Sends each user's story to `webhookUrl` as signed callbacks, like Viber: conversation_started → subscribed →
   * (if the user has a phone) a `contact` message from the share-phone button, then `unsubscribed` for the users
   * listed. A callback not answered 200 is sent again a few times.
   */
  deliverCallbacks(webhookUrl: string, options?: DeliveryOptions): Promise<DeliveryCounts>;
  /** Where the bot's callbacks go from now on, every event type included, as `set_webhook` sets it (without its check). */
  useWebhooks(webhooks: { url: string }): void;
  /** Every broadcast message that reached a subscriber, in the order sent. */
  sentMessages(): SentViberMessage[];
  /** The most `broadcast_message` calls (refused ones included) that arrived within any rolling `windowMs`. */
  maxBroadcastsInAnyWindow(windowMs: number): number;
  /** Resolves when no callback of a broadcast is being delivered or waiting to be. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_AUTH_TOKEN = '4a7f3c9e1b2d5f60-8c1e2a4b6d8f0a13-5e7d9c1b3a5f7e90';
/** Viber retries for an hour; a few quick tries show the same thing here. */
const DELIVERY_ATTEMPTS = 3;
const RETRY_PAUSE_MS = 20;
/** A story's events, this far apart. */
const STORY_STEP_MS = 1000;
/** The Viber server that hosts the bot, as answers and callbacks name it. */
const CHAT_HOSTNAME = 'SN-CHAT-04_';
/** Viber's cap on a request's JSON. */
const MAX_REQUEST_BYTES = 30 * 1024;
const MAX_SENDER_NAME = 28;
const MAX_TEXT = 7000;
const MAX_TRACKING_DATA = 4000;
/** The callbacks `set_webhook` may leave out with `event_types`; `message` and the webhook check always come. */
const OPTIONAL_EVENTS: readonly string[] = ['delivered', 'seen', 'failed', 'subscribed', 'unsubscribed', 'conversation_started'];

/** Viber's answer to a call (HTTP 200 with a non-zero `status` when refused). */
interface Refusal {
  status: number;
  status_message: string;
}

/** Viber's error codes (HTTP 200 with a non-zero `status`). */
const refusals = {
  invalidUrl: { status: 1, status_message: 'invalidUrl' },
  missingAuthToken: { status: 2, status_message: 'missing_auth_token' },
  invalidAuthToken: { status: 2, status_message: 'invalidAuthToken' },
  badData: { status: 3, status_message: 'badData' },
  missingData: { status: 4, status_message: 'missingData' },
  receiverNotRegistered: { status: 5, status_message: 'receiverNotRegistered' },
  webhookNotSet: { status: 10, status_message: 'webhookNotSet' },
  tooManyRequests: { status: 12, status_message: 'tooManyRequests' },
} as const;

const badData = (why: string): Refusal => ({ status: 3, status_message: `badData: ${why}` });
const missingData = (what: string): Refusal => ({ status: 4, status_message: `missingData: ${what}` });

interface Callback {
  /** The JSON text as sent, with `message_token` written as the 64-bit number Viber sends. */
  body: string;
  forged: boolean;
}

/**
 * Viber's Chat API for what extraction uses (`get_user_details`, with its auth token check and its two calls
 * per user per 12 hours) and what the opt-in campaign uses (`set_webhook`, and `broadcast_message` with its
 * limits), and Viber's side of the webhook: users' callbacks and customers' answers, signed, retried until answered 200.
 */
export async function startViberEmulator(options: ViberEmulatorOptions): Promise<ViberEmulator> {
  const authToken = options.authToken ?? DEFAULT_AUTH_TOKEN;
  const usersById = new Map(options.users.map((user) => [user.id, user]));
  const serverErrorRate = options.faults?.serverErrorRate ?? 0;
  const random = seededRandom(options.faults?.seed ?? 1);
  const seenRandom = seededRandom(options.faults?.seed ?? 1);
  const seenRate = options.seenRate ?? 1;
  const callsPerUser = new Map<string, number>();
  /** When each user's answered calls were made, for Viber's allowance. */
  const answeredCalls = new Map<string, number[]>();
  let allCalls = 0;
  const unsubscribed = new Set<string>();
  const broadcastRate = options.broadcastRate ?? VIBER_BROADCAST_RATE;
  /** When each authenticated `broadcast_message` call arrived, refused ones included: a throttled caller must wait, not retry at once. */
  const broadcastArrivals: number[] = [];
  const sent: SentViberMessage[] = [];
  let webhook: { url: string; events: ReadonlySet<string> } | undefined;
  const webhookSender = emulatorWebhookSender();
  const scheduled = new Set<NodeJS.Timeout>();
  let pending = 0;
  const waitingForSettled: (() => void)[] = [];
  // Random high bits: emulators in parallel test files share one events table, and their tokens must not meet.
  let nextToken = (randomBytes(8).readBigUInt64BE() >> 3n) + 1_000_000_000_000_000_000n;
  const messageToken = () => (nextToken++).toString();

  function authRefusal(req: IncomingMessage): Refusal | undefined {
    const token = req.headers['x-viber-auth-token'];
    if (token === undefined) return refusals.missingAuthToken;
    if (token !== authToken) return refusals.invalidAuthToken;
    return undefined;
  }

  function userDetails(req: IncomingMessage, rawBody: string): { status: number; body: Record<string, unknown> } {
    const refused = authRefusal(req);
    if (refused !== undefined) return { status: 200, body: { ...refused } };
    let id: unknown;
    try {
      id = (JSON.parse(rawBody) as { id?: unknown }).id;
    } catch {
      return { status: 200, body: refusals.badData };
    }
    if (typeof id !== 'string' || id === '') return { status: 200, body: refusals.missingData };
    callsPerUser.set(id, (callsPerUser.get(id) ?? 0) + 1);
    if (random() < serverErrorRate) return { status: 500, body: { error: 'Internal Server Error' } };
    const user = usersById.get(id);
    if (user === undefined) return { status: 200, body: refusals.receiverNotRegistered };
    const now = Date.now();
    const recent = (answeredCalls.get(id) ?? []).filter((at) => at > now - USER_DETAILS_WINDOW_MS);
    if (recent.length >= USER_DETAILS_CALLS_PER_USER) return { status: 200, body: refusals.tooManyRequests };
    answeredCalls.set(id, [...recent, now]);
    return {
      status: 200,
      body: {
        status: 0,
        status_message: 'ok',
        message_token: messageToken(),
        user: {
          ...callbackUser(user),
          primary_device_os: 'Android 14',
          viber_version: '24.8.1.0',
          mcc: 424,
          mnc: 2,
          device_type: 'SM-S918B',
        },
      },
    };
  }

  /** Work for later (a callback to deliver), counted until it is done so `settled()` can wait for it. */
  function inBackground(delayMs: number, work: () => Promise<unknown>): void {
    pending++;
    const timer = setTimeout(() => {
      scheduled.delete(timer);
      void work().finally(finished);
    }, delayMs);
    scheduled.add(timer);
  }

  function finished(): void {
    if (--pending === 0) for (const resolve of waitingForSettled.splice(0)) resolve();
  }

  /** Posts a signed callback to the webhook set when it goes out, retried like Viber; nowhere when none is set. */
  function callWebhook(fields: Record<string, unknown>, token?: string): Promise<boolean> {
    if (webhook === undefined) return Promise.resolve(false);
    const body = callbackBody({ ...fields, timestamp: Date.now() }, token);
    return deliver(webhookSender, webhook.url, body, signViberBody(body, authToken));
  }

  /** A broadcast reached a subscriber: Viber reports the delivery, and the customer may answer some time later. */
  function reach(user: ViberUser, token: string): void {
    const answer = options.customers?.receive(user.id);
    if (webhook?.events.has('delivered')) inBackground(0, () => callWebhook({ event: 'delivered', user_id: user.id }, token));
    if (webhook?.events.has('seen') && (answer !== undefined || seenRandom() < seenRate)) inBackground(0, () => callWebhook({ event: 'seen', user_id: user.id }, token));
    if (answer === undefined) return;
    inBackground(answer.delayMs, () =>
      callWebhook({ event: 'message', sender: callbackUser(user), message: { type: 'text', text: answer.text }, silent: false }),
    );
  }

  function broadcast(req: IncomingMessage, rawBody: string): { status: number; body: Record<string, unknown> } {
    const refused = authRefusal(req);
    if (refused !== undefined) return { status: 200, body: { ...refused } };
    const at = Date.now();
    broadcastArrivals.push(at);
    if (arrivalsSince(broadcastArrivals, at - broadcastRate.intervalMs) > broadcastRate.requests) return { status: 200, body: { ...refusals.tooManyRequests } };
    const request = broadcastRequest(rawBody);
    if ('status' in request) return { status: 200, body: { ...request } };
    if (webhook === undefined) return { status: 200, body: { ...refusals.webhookNotSet } };
    if (random() < serverErrorRate) return { status: 500, body: { error: 'Internal Server Error' } };

    const token = messageToken();
    const failedList: Record<string, unknown>[] = [];
    for (const receiver of request.receivers) {
      const user = usersById.get(receiver);
      if (user === undefined || unsubscribed.has(receiver)) {
        failedList.push({ receiver, status: 6, status_message: 'Not subscribed' });
        continue;
      }
      sent.push({ messageToken: token, receiver, text: request.text, at: new Date(at) });
      reach(user, token);
    }
    return { status: 200, body: { status: 0, status_message: 'ok', message_token: token, chat_hostname: CHAT_HOSTNAME, failed_list: failedList } };
  }

  /** Sets (or, with an empty url, removes) the webhook once it answers Viber's signed check callback with 200. */
  async function setWebhook(req: IncomingMessage, rawBody: string): Promise<Record<string, unknown>> {
    const refused = authRefusal(req);
    if (refused !== undefined) return { ...refused };
    const body = jsonObject(rawBody);
    if (body === undefined) return { ...refusals.badData };
    const { url, event_types: eventTypes = OPTIONAL_EVENTS } = body;
    if (url === undefined) return { ...missingData('url') };
    if (typeof url !== 'string') return { ...badData('url must be text') };
    if (!Array.isArray(eventTypes) || !eventTypes.every((event) => OPTIONAL_EVENTS.includes(event as string))) {
      return { ...badData(`event_types must list some of ${OPTIONAL_EVENTS.join(', ')}`) };
    }
    if (url === '') {
      webhook = undefined;
      return { status: 0, status_message: 'ok' };
    }
    // Viber wants https; the emulator takes http too, since it calls webhooks on the loopback.
    if (!/^https?:\/\/[^/\s]+/.test(url)) return { ...refusals.invalidUrl };
    const check = callbackBody({ event: 'webhook', timestamp: Date.now() });
    if (!(await deliver(webhookSender, url, check, signViberBody(check, authToken)))) return { ...refusals.invalidUrl };
    webhook = { url, events: new Set(eventTypes as string[]) };
    return { status: 0, status_message: 'ok', chat_hostname: CHAT_HOSTNAME, event_types: eventTypes };
  }

  async function route(req: IncomingMessage, res: ServerResponse, rawBody: string): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://emulator').pathname;
    if (req.method === 'POST' && path === '/pa/get_user_details') {
      allCalls++;
      const { status, body } = userDetails(req, rawBody);
      return send(res, status, body);
    }
    if (req.method === 'POST' && path === '/pa/broadcast_message') {
      const { status, body } = broadcast(req, rawBody);
      return send(res, status, body);
    }
    if (req.method === 'POST' && path === '/pa/set_webhook') return send(res, 200, await setWebhook(req, rawBody));
    send(res, 404, { error: `No endpoint for ${req.method} ${path}` });
  }

  const server = createServer((req, res) => {
    text(req).then(
      (rawBody) => route(req, res, rawBody),
      () => res.destroy(),
    );
  });
  const loopback = await listenOnLoopback(server, options.port);

  /** A callback as Viber writes it; the token goes in as digits, since JSON.stringify cannot write a 64-bit number. */
  function callbackBody(fields: Record<string, unknown>, token = messageToken()): string {
    const json = JSON.stringify({ ...fields, chat_hostname: CHAT_HOSTNAME });
    return `${json.slice(0, -1)},"message_token":${token}}`;
  }

  function callback(fields: Record<string, unknown>, forged = false): Callback {
    return { body: callbackBody(fields), forged };
  }

  function stories(users: ViberUser[], unsubscribe: ReadonlySet<string>, start: number): Callback[][] {
    const opened = users.map((user) =>
      callback({ event: 'conversation_started', timestamp: start, type: 'open', user: callbackUser(user), subscribed: false }),
    );
    const subscribed = users.map((user) => callback({ event: 'subscribed', timestamp: start + STORY_STEP_MS, user: callbackUser(user) }));
    const sharedPhone = users
      .filter((user) => user.phone !== null)
      .map((user) =>
        callback({
          event: 'message',
          timestamp: start + 2 * STORY_STEP_MS,
          sender: callbackUser(user),
          message: { type: 'contact', contact: { name: user.name, phone_number: user.phone }, tracking_data: 'share-phone' },
        }),
      );
    const unsubscribed = users
      .filter((user) => unsubscribe.has(user.id))
      .map((user) => callback({ event: 'unsubscribed', timestamp: start + 3 * STORY_STEP_MS, user_id: user.id }));
    return [opened, subscribed, sharedPhone, unsubscribed];
  }

  return {
    url: `${loopback.url}/pa`,
    authToken,
    userDetailsCalls: (userId) => (userId === undefined ? allCalls : (callsPerUser.get(userId) ?? 0)),

    async deliverCallbacks(webhookUrl, delivery = {}) {
      const users = delivery.users ?? options.users;
      for (const userId of delivery.unsubscribe ?? []) unsubscribed.add(userId);
      const start = Date.now() - 10 * STORY_STEP_MS;
      // Each step of every story goes out before the next step of any: a user's callbacks are far apart in the queue.
      const originals = stories(users, new Set(delivery.unsubscribe ?? []), start).flat();
      const share = delivery.duplicates ?? 0;
      const resent = originals.filter((_, index) => Math.floor((index + 1) * share) > Math.floor(index * share));
      const forged = Array.from({ length: delivery.forged ?? 0 }, (_, index) => {
        const victim = users.length === 0 ? 'forged-user' : users[index % users.length]!.id;
        return callback({ event: 'unsubscribed', timestamp: start + 4 * STORY_STEP_MS, user_id: victim }, true);
      });
      const queue = [...originals, ...resent, ...forged];

      const concurrency = delivery.concurrency ?? WEBHOOK_CONNECTIONS;
      const batchSender = emulatorWebhookSender({ connections: concurrency });
      let next = 0;
      let accepted = 0;
      const sender = async () => {
        while (next < queue.length) {
          const { body, forged: isForged } = queue[next++]!;
          const signature = signViberBody(body, isForged ? `${authToken}-forged` : authToken);
          if (await deliver(batchSender, webhookUrl, body, signature)) accepted++;
        }
      };
      try {
        await Promise.all(Array.from({ length: concurrency }, sender));
      } finally {
        batchSender.close();
      }
      return { sent: queue.length, accepted, refused: queue.length - accepted };
    },

    useWebhooks({ url }) {
      webhook = { url, events: new Set(OPTIONAL_EVENTS) };
    },

    sentMessages: () => sent.map((message) => ({ ...message })),

    maxBroadcastsInAnyWindow: (windowMs) => busiestWindow(broadcastArrivals, windowMs),

    settled: () => (pending === 0 ? Promise.resolve() : new Promise((resolve) => waitingForSettled.push(resolve))),

    async close() {
      for (const timer of scheduled) {
        clearTimeout(timer);
        finished();
      }
      scheduled.clear();
      webhookSender.close();
      await loopback.close();
    },
  };
}

/** How many of the arrivals (oldest first) came after `since`. */
function arrivalsSince(arrivals: readonly number[], since: number): number {
  let count = 0;
  for (let i = arrivals.length - 1; i >= 0 && arrivals[i]! > since; i--) count++;
  return count;
}

function jsonObject(rawBody: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(rawBody);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The receivers and text of a text broadcast as strict as Viber takes it, or Viber's refusal naming what is wrong. */
function broadcastRequest(rawBody: string): { receivers: string[]; text: string } | Refusal {
  if (Buffer.byteLength(rawBody) > MAX_REQUEST_BYTES) return badData(`the request is larger than ${MAX_REQUEST_BYTES} bytes`);
  const body = jsonObject(rawBody);
  if (body === undefined) return refusals.badData;
  const { broadcast_list: list, sender, type, text, min_api_version: minApiVersion, tracking_data: trackingData } = body;
  if (list === undefined) return missingData('broadcast_list');
  if (!Array.isArray(list) || list.length === 0 || list.length > VIBER_BROADCAST_RECEIVERS || !list.every((id) => typeof id === 'string' && id !== '')) {
    return badData(`broadcast_list must hold 1 to ${VIBER_BROADCAST_RECEIVERS} user ids`);
  }
  if (typeof sender !== 'object' || sender === null || (sender as { name?: unknown }).name === undefined) return missingData('sender.name');
  const { name } = sender as { name?: unknown };
  if (typeof name !== 'string' || name === '' || name.length > MAX_SENDER_NAME) return badData(`sender.name must be 1 to ${MAX_SENDER_NAME} characters`);
  if (type === undefined) return missingData('type');
  if (type !== 'text') return badData('type: the emulator broadcasts text messages only');
  if (text === undefined) return missingData('text');
  if (typeof text !== 'string' || text === '' || text.length > MAX_TEXT) return badData(`text must be 1 to ${MAX_TEXT} characters`);
  if (minApiVersion !== undefined && !(Number.isInteger(minApiVersion) && (minApiVersion as number) >= 1)) return badData('min_api_version must be a whole number from 1');
  if (trackingData !== undefined && (typeof trackingData !== 'string' || trackingData.length > MAX_TRACKING_DATA)) {
    return badData(`tracking_data must be text of at most ${MAX_TRACKING_DATA} characters`);
  }
  // A user listed twice still gets the message once.
  return { receivers: [...new Set(list as string[])], text };
}

function callbackUser(user: ViberUser): Record<string, unknown> {
  return {
    id: user.id,
    name: user.name,
    avatar: `https://media-direct.cdn.viber.com/download_photo?dlid=${encodeURIComponent(user.id)}`,
    country: user.country,
    language: user.language,
    api_version: 10,
  };
}

/** Posts one callback until it is answered 200 or the tries run out. */
async function deliver(sender: WebhookSender, webhookUrl: string, body: string, signature: string): Promise<boolean> {
  const headers = { 'content-type': 'application/json', 'x-viber-content-signature': signature };
  for (let attempt = 1; attempt <= DELIVERY_ATTEMPTS; attempt++) {
    if ((await sender.post(webhookUrl, { headers, body })) === 200) return true;
    if (attempt < DELIVERY_ATTEMPTS) await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
  }
  return false;
}

function send(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  // The token is written as the number Viber sends, not as a string.
  const json = JSON.stringify(body).replace(/"message_token":"(\d+)"/, '"message_token":$1');
  res.writeHead(status, { 'content-type': 'application/json' }).end(json);
}
