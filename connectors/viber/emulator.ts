import { randomBytes } from 'node:crypto';
import { Agent, createServer, request as httpRequest } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { text } from 'node:stream/consumers';
import { seededRandom } from '../seeded-random.ts';
import { listenOnLoopback } from '../loopback-server.ts';
import { signViberBody } from './content-signature.ts';
import { USER_DETAILS_CALLS_PER_USER, USER_DETAILS_WINDOW_MS } from './user-details-allowance.ts';

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
  users: ViberUser[];
  /** Trouble for `get_user_details`, drawn from a seeded generator so a run can be repeated. */
  faults?: { serverErrorRate?: number; seed?: number };
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
  close(): Promise<void>;
}

const DEFAULT_AUTH_TOKEN = '4a7f3c9e1b2d5f60-8c1e2a4b6d8f0a13-5e7d9c1b3a5f7e90';
const DEFAULT_CONCURRENCY = 16;
/** Viber retries for an hour; a few quick tries show the same thing here. */
const DELIVERY_ATTEMPTS = 3;
const RETRY_PAUSE_MS = 20;
/** A story's events, this far apart. */
const STORY_STEP_MS = 1000;

/** Viber's error codes as `get_user_details` answers them (HTTP 200 with a non-zero `status`). */
const refusals = {
  missingAuthToken: { status: 2, status_message: 'missing_auth_token' },
  invalidAuthToken: { status: 2, status_message: 'invalidAuthToken' },
  badData: { status: 3, status_message: 'badData' },
  missingData: { status: 4, status_message: 'missingData' },
  receiverNotRegistered: { status: 5, status_message: 'receiverNotRegistered' },
  tooManyRequests: { status: 12, status_message: 'tooManyRequests' },
} as const;

interface Callback {
  /** The JSON text as sent, with `message_token` written as the 64-bit number Viber sends. */
  body: string;
  forged: boolean;
}

/**
 * Viber's Chat API for what extraction uses (`get_user_details`, with its auth token check and its two calls
 * per user per 12 hours), and Viber's side of the webhook: users' callbacks, signed, retried until answered 200.
 */
export async function startViberEmulator(options: ViberEmulatorOptions): Promise<ViberEmulator> {
  const authToken = options.authToken ?? DEFAULT_AUTH_TOKEN;
  const usersById = new Map(options.users.map((user) => [user.id, user]));
  const serverErrorRate = options.faults?.serverErrorRate ?? 0;
  const random = seededRandom(options.faults?.seed ?? 1);
  const callsPerUser = new Map<string, number>();
  /** When each user's answered calls were made, for Viber's allowance. */
  const answeredCalls = new Map<string, number[]>();
  let allCalls = 0;
  // Random high bits: emulators in parallel test files share one events table, and their tokens must not meet.
  let nextToken = (randomBytes(8).readBigUInt64BE() >> 3n) + 1_000_000_000_000_000_000n;
  const messageToken = () => (nextToken++).toString();

  function userDetails(req: IncomingMessage, rawBody: string): { status: number; body: Record<string, unknown> } {
    const token = req.headers['x-viber-auth-token'];
    if (token === undefined) return { status: 200, body: refusals.missingAuthToken };
    if (token !== authToken) return { status: 200, body: refusals.invalidAuthToken };
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

  function route(req: IncomingMessage, res: ServerResponse, rawBody: string): void {
    const path = new URL(req.url ?? '/', 'http://emulator').pathname;
    if (req.method === 'POST' && path === '/pa/get_user_details') {
      allCalls++;
      const { status, body } = userDetails(req, rawBody);
      return send(res, status, body);
    }
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
  function callback(fields: Record<string, unknown>, forged = false): Callback {
    const json = JSON.stringify(fields);
    return { body: `${json.slice(0, -1)},"message_token":${messageToken()}}`, forged };
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

      const concurrency = delivery.concurrency ?? DEFAULT_CONCURRENCY;
      const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
      let next = 0;
      let accepted = 0;
      const sender = async () => {
        while (next < queue.length) {
          const { body, forged: isForged } = queue[next++]!;
          const signature = signViberBody(body, isForged ? `${authToken}-forged` : authToken);
          if (await deliver(agent, webhookUrl, body, signature)) accepted++;
        }
      };
      try {
        await Promise.all(Array.from({ length: concurrency }, sender));
      } finally {
        agent.destroy();
      }
      return { sent: queue.length, accepted, refused: queue.length - accepted };
    },

    close: loopback.close,
  };
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
async function deliver(agent: Agent, webhookUrl: string, body: string, signature: string): Promise<boolean> {
  for (let attempt = 1; attempt <= DELIVERY_ATTEMPTS; attempt++) {
    if ((await post(agent, webhookUrl, body, signature)) === 200) return true;
    if (attempt < DELIVERY_ATTEMPTS) await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
  }
  return false;
}

/** The answer's HTTP status, or 0 when the connection failed. */
function post(agent: Agent, url: string, body: string, signature: string): Promise<number> {
  return new Promise((resolve) => {
    const req = httpRequest(url, {
      method: 'POST',
      agent,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'x-viber-content-signature': signature,
      },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

function send(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  // The token is written as the number Viber sends, not as a string.
  const json = JSON.stringify(body).replace(/"message_token":"(\d+)"/, '"message_token":$1');
  res.writeHead(status, { 'content-type': 'application/json' }).end(json);
}
