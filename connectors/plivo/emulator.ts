import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listenOnLoopback } from '../loopback-server.ts';
import { PLIVO_LIST_RATE, PLIVO_PAGE_LIMIT } from './messages-client.ts';
import type { PlivoMessage } from './messages-client.ts';
import { parseFilterTime, parseMessageTime } from './plivo-time.ts';
import { seededRandom } from '../seeded-random.ts';
import { busiestWindow } from '../busiest-window.ts';

export interface PlivoEmulatorOptions {
  port?: number;
  authId?: string;
  authToken?: string;
  /** The account's message history: the ground truth the list answers from. */
  messages: PlivoMessage[];
  /** The emulator's clock, for the 24-hour default window and the 90-day retention. Default: real time. */
  now?: () => Date;
  /** The list endpoint's rate. Default PLIVO_LIST_RATE; tests shorten the interval. */
  rateLimit?: { requests: number; intervalMs: number };
  faults?: PlivoFaults;
}

/** Trouble to inject into list requests that pass auth and validation, drawn from a seeded generator so a run can be repeated. */
export interface PlivoFaults {
  /** Share of requests answered 500 or 503. */
  serverErrorRate?: number;
  /** Share answered 429, as if the account's limit were spent elsewhere. */
  throttleRate?: number;
  /** Share whose answer is held `hangMs`. */
  timeoutRate?: number;
  /** Default 35 s: longer than a client's usual 30 s timeout. */
  hangMs?: number;
  /** Every answer waits this long. */
  slowPageMs?: number;
  seed?: number;
}

export interface PlivoListRequest {
  /** When it arrived, in ms since the epoch. */
  at: number;
  status: number;
  /** The `offset` asked for (0 when none; NaN when not a number). */
  offset: number;
}

export interface PlivoEmulator {
  url: string;
  authId: string;
  authToken: string;
  /** Every list request received, in order of arrival. */
  requests(): PlivoListRequest[];
  /** The most list requests that arrived within any rolling `rateLimit.intervalMs`, refused ones included. */
  maxRequestsInAnyWindow(): number;
  close(): Promise<void>;
}

const DEFAULT_AUTH_ID = 'MAEMULATED0000PLIVO1';
const DEFAULT_AUTH_TOKEN = 'plivo-emulator-auth-token';
const DEFAULT_HANG_MS = 35_000;
const HOUR_MICROS = 3_600_000_000;
const DEFAULT_WINDOW_MICROS = 24 * HOUR_MICROS;
const RETENTION_MICROS = 90 * 24 * HOUR_MICROS;
const LIST_PATH = /^\/v1\/Account\/([^/]+)\/Message\/$/;
const TIME_FILTERS = ['message_time', 'message_time__gt', 'message_time__gte', 'message_time__lt', 'message_time__lte'] as const;
const ALLOWED_VALUES: Record<string, readonly string[]> = {
  message_direction: ['inbound', 'outbound'],
  message_state: ['queued', 'sent', 'failed', 'delivered', 'undelivered', 'received', 'read', 'rejected'],
  message_type: ['sms', 'mms', 'whatsapp'],
};

interface StoredMessage {
  message: PlivoMessage;
  /** `message_time` in microseconds since the epoch. */
  time: number;
}

interface Answer {
  status: number;
  body: unknown;
}

/** Plivo's error body: the request's id and what went wrong. */
function refusal(status: number, error: string): Answer {
  return { status, body: { api_id: randomUUID(), error } };
}

/** Mulberry32: small, fast and the same sequence for the same seed. */
/** Message time descending, then message_uuid, so pages stay put between requests. */
function newestFirst(a: StoredMessage, b: StoredMessage): number {
  if (a.time !== b.time) return b.time - a.time;
  return a.message.message_uuid < b.message.message_uuid ? -1 : a.message.message_uuid > b.message.message_uuid ? 1 : 0;
}

/**
 * Plivo's Message API list (`GET /v1/Account/{auth_id}/Message/`) as strict as the real one: Basic auth for
 * the account in the path, `limit` 1..20 with `offset` paging, `message_time` filters in Plivo's format, the
 * last 24 hours when no time filter is given, 90 days of retention, and 20 requests per rolling minute.
 */
export async function startPlivoEmulator(options: PlivoEmulatorOptions): Promise<PlivoEmulator> {
  const authId = options.authId ?? DEFAULT_AUTH_ID;
  const authToken = options.authToken ?? DEFAULT_AUTH_TOKEN;
  const now = options.now ?? (() => new Date());
  const rateLimit = options.rateLimit ?? PLIVO_LIST_RATE;
  const faults = options.faults ?? {};
  const random = seededRandom(faults.seed ?? 1);
  const history = options.messages.map((message, index): StoredMessage => {
    const time = typeof message.message_time === 'string' ? parseMessageTime(message.message_time) : null;
    if (time === null) throw new Error(`messages[${index}].message_time: not a Plivo time: ${JSON.stringify(message.message_time)}`);
    return { message, time };
  });
  history.sort(newestFirst);
  const log: PlivoListRequest[] = [];
  const recentArrivals: number[] = [];

  /** Counts an arrival in the rolling window and says whether the window still had room for it. */
  function withinRate(at: number): boolean {
    while (recentArrivals.length > 0 && recentArrivals[0]! <= at - rateLimit.intervalMs) recentArrivals.shift();
    recentArrivals.push(at);
    return recentArrivals.length <= rateLimit.requests;
  }

  function authenticated(req: IncomingMessage, pathAuthId: string): Answer | undefined {
    const [scheme, encoded] = (req.headers.authorization ?? '').split(' ');
    if (scheme !== 'Basic' || encoded === undefined) return refusal(401, 'authentication failed: Basic auth with your auth_id and auth_token is required');
    const credentials = Buffer.from(encoded, 'base64').toString();
    const colon = credentials.indexOf(':');
    if (colon < 0 || credentials.slice(0, colon) !== authId || credentials.slice(colon + 1) !== authToken) {
      return refusal(401, 'authentication failed');
    }
    if (pathAuthId !== encodeURIComponent(authId)) return refusal(401, `authentication failed: the credentials are not those of account ${pathAuthId}`);
    return undefined;
  }

  function list(query: URLSearchParams): Answer {
    const limitText = query.get('limit') ?? String(PLIVO_PAGE_LIMIT);
    const limit = Number(limitText);
    if (!/^\d+$/.test(limitText) || limit < 1 || limit > PLIVO_PAGE_LIMIT) {
      return refusal(400, `limit: must be an integer from 1 to ${PLIVO_PAGE_LIMIT}, got ${JSON.stringify(limitText)}`);
    }
    const offsetText = query.get('offset') ?? '0';
    if (!/^\d+$/.test(offsetText)) return refusal(400, `offset: must be a non-negative integer, got ${JSON.stringify(offsetText)}`);
    const offset = Number(offsetText);

    const bounds: Partial<Record<(typeof TIME_FILTERS)[number], number>> = {};
    for (const filter of TIME_FILTERS) {
      const text = query.get(filter);
      if (text === null) continue;
      const time = parseFilterTime(text);
      if (time === null) return refusal(400, `${filter}: expected YYYY-MM-DD HH:MM[:ss[.uuuuuu]] (UTC), got ${JSON.stringify(text)}`);
      bounds[filter] = time;
    }
    for (const [filter, allowed] of Object.entries(ALLOWED_VALUES)) {
      const value = query.get(filter);
      if (value !== null && !allowed.includes(value)) return refusal(400, `${filter}: must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
    }
    const errorCode = query.get('error_code');
    if (errorCode !== null && !/^\d+$/.test(errorCode)) return refusal(400, `error_code: must be a number, got ${JSON.stringify(errorCode)}`);

    const nowMicros = now().getTime() * 1000;
    // Without a time filter Plivo lists only the last 24 hours.
    if (Object.keys(bounds).length === 0) {
      bounds.message_time__gte = nowMicros - DEFAULT_WINDOW_MICROS;
      bounds.message_time__lte = nowMicros;
    }
    const kept = nowMicros - RETENTION_MICROS;
    const matching = history.filter(({ message, time }) =>
      time >= kept &&
      (bounds.message_time === undefined || time === bounds.message_time) &&
      (bounds.message_time__gt === undefined || time > bounds.message_time__gt) &&
      (bounds.message_time__gte === undefined || time >= bounds.message_time__gte) &&
      (bounds.message_time__lt === undefined || time < bounds.message_time__lt) &&
      (bounds.message_time__lte === undefined || time <= bounds.message_time__lte) &&
      Object.keys(ALLOWED_VALUES).every((filter) => query.get(filter) === null || message[filter] === query.get(filter)) &&
      (errorCode === null || message.error_code === errorCode),
    );

    const pageAt = (at: number): string => {
      const parameters = new URLSearchParams({ limit: String(limit), offset: String(at) });
      for (const [name, value] of query) if (name !== 'limit' && name !== 'offset') parameters.append(name, value);
      return `/v1/Account/${authId}/Message/?${parameters}`;
    };
    return {
      status: 200,
      body: {
        api_id: randomUUID(),
        meta: {
          limit,
          next: offset + limit < matching.length ? pageAt(offset + limit) : null,
          offset,
          previous: offset > 0 ? pageAt(Math.max(0, offset - limit)) : null,
          total_count: matching.length,
        },
        objects: matching.slice(offset, offset + limit).map(({ message }) => message),
      },
    };
  }

  /** What a list request gets and how long it waits for it. */
  function answerList(req: IncomingMessage, url: URL, pathAuthId: string): { answer: Answer; delayMs: number } {
    const slow = faults.slowPageMs ?? 0;
    const refused = authenticated(req, pathAuthId);
    if (refused !== undefined) return { answer: refused, delayMs: slow };
    const answer = list(url.searchParams);
    if (answer.status !== 200) return { answer, delayMs: slow };
    const serverErrorRate = faults.serverErrorRate ?? 0;
    const throttleRate = faults.throttleRate ?? 0;
    const draw = random();
    if (draw < serverErrorRate) {
      const unavailable = random() < 0.5;
      return { answer: refusal(unavailable ? 503 : 500, unavailable ? 'service unavailable' : 'internal server error'), delayMs: slow };
    }
    if (draw < serverErrorRate + throttleRate) return { answer: refusal(429, 'too many requests'), delayMs: slow };
    if (draw < serverErrorRate + throttleRate + (faults.timeoutRate ?? 0)) return { answer, delayMs: slow + (faults.hangMs ?? DEFAULT_HANG_MS) };
    return { answer, delayMs: slow };
  }

  function send(res: ServerResponse, answer: Answer, delayMs: number): void {
    const write = (): void => {
      if (res.destroyed) return;
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    };
    if (delayMs <= 0) return write();
    const timer = setTimeout(write, delayMs);
    // A client that gave up (or the emulator closing) leaves nothing to answer.
    res.on('close', () => clearTimeout(timer));
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const pathAuthId = LIST_PATH.exec(url.pathname)?.[1];
    if (pathAuthId === undefined) return send(res, refusal(404, 'not found'), 0);
    if (req.method !== 'GET') return send(res, refusal(405, 'method not allowed'), 0);

    const at = Date.now();
    const offsetText = url.searchParams.get('offset');
    const request: PlivoListRequest = { at, status: 0, offset: offsetText === null ? 0 : Number(offsetText) };
    log.push(request);
    const { answer, delayMs } = withinRate(at)
      ? answerList(req, url, pathAuthId)
      : { answer: refusal(429, 'too many requests'), delayMs: faults.slowPageMs ?? 0 };
    request.status = answer.status;
    send(res, answer, delayMs);
  });
  const { url, close } = await listenOnLoopback(server, options.port);

  return {
    url,
    authId,
    authToken,
    requests: () => log.map((request) => ({ ...request })),
    maxRequestsInAnyWindow: () => busiestWindow(log.map((request) => request.at), rateLimit.intervalMs),
    close,
  };
}
