import { randomInt, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { text as readText } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import type { RateLimit } from '../../activities/extract/request-budget.ts';
import type { CarrierAnswer } from '../carrier-lookup.ts';
import type { EmulatedCustomers } from '../emulated-customers.ts';
import { listenOnLoopback } from '../loopback-server.ts';
import { emulatorWebhookSender } from '../emulator-webhook-sender.ts';
import { PLIVO_INVALID_NUMBER, PLIVO_LOOKUP_RATE } from './lookup-client.ts';
import { PLIVO_SEND_RATE } from './send-client.ts';
import { signPlivoV2, signPlivoV3 } from './webhook-signature.ts';
import { busiestWindow } from '../busiest-window.ts';

export interface PlivoMessagingEmulatorOptions {
  port?: number;
  authId?: string;
  authToken?: string;
  /** Who answers the messages sent, and what. */
  customers: EmulatedCustomers;
  /** Sends allowed per rolling window; beyond it Plivo answers 429. Default PLIVO_SEND_RATE. */
  sendRate?: RateLimit;
  /** Lookups allowed per rolling window. Default PLIVO_LOOKUP_RATE. */
  lookupRate?: RateLimit;
  /** What a number is. `invalid` numbers fail (error 50) and look up as 20404; `fixed` lines never get the SMS. Default: all mobile. */
  lineTypes?: (e164: string) => CarrierAnswer['lineType'];
  /** How callbacks are signed: `v3` sends V3 and V2 headers, as Plivo does; `v2` only the V2 ones, as older accounts get. Default v3. */
  signature?: 'v3' | 'v2';
}

export interface EmulatedSms {
  messageUuid: string;
  src: string;
  /** E.164, with `+`. */
  dst: string;
  text: string;
  /** When it was accepted, in ms since the epoch. */
  at: number;
  statusUrl?: string;
}

export interface PlivoMessagingEmulator {
  /** Serves both `https://api.plivo.com` (send) and `https://lookup.plivo.com` (lookup). */
  url: string;
  authId: string;
  authToken: string;
  /** The message URL of the account's Plivo application, where customers' replies are POSTed. */
  useWebhooks(webhooks: { inbound: string }): void;
  /** Every message accepted, in order. */
  sentMessages(): EmulatedSms[];
  /** Lookup requests received, refused ones included. */
  lookupRequests(): number;
  /** Lookups answered with a carrier or as invalid: refused ones (auth, rate) not counted. */
  lookupsAnswered(): number;
  /** The most authenticated send requests that arrived within any rolling `windowMs`, refused ones included. */
  maxSendsInAnyWindow(windowMs: number): number;
  /** Resolves once no callback or reply is pending or scheduled. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

interface Answer {
  status: number;
  body: unknown;
}

interface MessageState {
  status: 'queued' | 'sent' | 'delivered' | 'undelivered' | 'failed';
  errorCode: string;
}

const DEFAULT_AUTH_ID = 'MAEMULATED0000PLIVO2';
const DEFAULT_AUTH_TOKEN = 'plivo-messaging-emulator-auth-token';
const MESSAGE_PATH = /^\/v1\/Account\/([^/]+)\/Message\/$/;
const NUMBER_PATH = /^\/v1\/Number\/([^/]+)$/;
const NUMBER = /^\+?[1-9]\d{6,14}$/;
const SENDER_ID = /^[A-Za-z0-9 ]{1,11}$/;
/** The longest text Plivo sends, split into parts. */
const MAX_TEXT_LENGTH = 1600;
const STATE_STEP_MS = 5;
/** Plivo retries for longer; a few quick tries show the same thing here. */
const DELIVERY_ATTEMPTS = 3;
const RETRY_PAUSE_MS = 20;
const DELIVERY_TIMEOUT_MS = 5000;

/** Plivo's states for a message to a number of each kind, in the order its callbacks come. */
function statesFor(lineType: CarrierAnswer['lineType']): MessageState[] {
  const queued: MessageState = { status: 'queued', errorCode: '' };
  const sent: MessageState = { status: 'sent', errorCode: '' };
  // 50: invalid destination number, refused before it left Plivo. 70: the destination is permanently unavailable.
  if (lineType === 'invalid') return [queued, { status: 'failed', errorCode: '50' }];
  if (lineType === 'fixed') return [queued, sent, { status: 'undelivered', errorCode: '70' }];
  return [queued, sent, { status: 'delivered', errorCode: '000' }];
}

/** Plivo's error body: the request's id and what went wrong. */
function refusal(status: number, error: string): Answer {
  return { status, body: { api_id: randomUUID(), error } };
}

/** A Plivo time in UTC: `YYYY-MM-DD HH:MM:SS`. */
function plivoTime(at: number): string {
  return new Date(at).toISOString().slice(0, 19).replace('T', ' ');
}

/** The keywords Plivo tags with `MessageIntent` on inbound messages. */
function intentOf(text: string): string | undefined {
  const word = text.trim().toUpperCase();
  if (['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT'].includes(word)) return 'optout';
  if (['START', 'YES', 'UNSTOP'].includes(word)) return 'optin';
  if (['HELP', 'INFO'].includes(word)) return 'help';
  return undefined;
}

/** A rolling window that counts each arrival and says whether it still had room. */
function rollingWindow(limit: RateLimit): (at: number) => boolean {
  const arrivals: number[] = [];
  return (at) => {
    while (arrivals.length > 0 && arrivals[0]! <= at - limit.intervalMs) arrivals.shift();
    arrivals.push(at);
    return arrivals.length <= limit.requests;
  };
}

/**
 * Plivo's Message API send (`POST /v1/Account/{auth_id}/Message/`) and Lookup (`GET /v1/Number/{number}`), as
 * strict as Plivo: Basic auth, JSON bodies, required fields, number checks and both rate limits. An accepted
 * message is answered 202 at once; its status callbacks and the customer's reply follow in the background,
 * signed as Plivo signs them and retried while not answered 2xx.
 */
export async function startPlivoMessagingEmulator(options: PlivoMessagingEmulatorOptions): Promise<PlivoMessagingEmulator> {
  const authId = options.authId ?? DEFAULT_AUTH_ID;
  const authToken = options.authToken ?? DEFAULT_AUTH_TOKEN;
  const lineTypeOf = options.lineTypes ?? (() => 'mobile');
  const admitSend = rollingWindow(options.sendRate ?? PLIVO_SEND_RATE);
  const admitLookup = rollingWindow(options.lookupRate ?? PLIVO_LOOKUP_RATE);
  const sent: EmulatedSms[] = [];
  const sendArrivals: number[] = [];
  let lookups = 0;
  let lookupsAnswered = 0;
  let inboundUrl: string | undefined;
  const pending = new Set<Promise<void>>();
  const closing = new AbortController();
  const webhooks = emulatorWebhookSender({ timeoutMs: DELIVERY_TIMEOUT_MS });

  function authenticated(req: IncomingMessage): boolean {
    const [scheme, encoded] = (req.headers.authorization ?? '').split(' ');
    return scheme === 'Basic' && encoded !== undefined && Buffer.from(encoded, 'base64').toString() === `${authId}:${authToken}`;
  }

  function send(req: IncomingMessage, pathAuthId: string, rawBody: string): Answer {
    if (!authenticated(req) || decodeURIComponent(pathAuthId) !== authId) return refusal(401, 'authentication failed');
    const at = Date.now();
    sendArrivals.push(at);
    if (!admitSend(at)) return refusal(429, 'too many requests');
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
      return refusal(400, 'POST request arguments must be passed as JSON with Content-Type application/json');
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(rawBody) as Record<string, unknown>;
    } catch {
      return refusal(400, 'the request body is not valid JSON');
    }
    if (typeof body !== 'object' || body === null) return refusal(400, 'the request body must be a JSON object');
    const { src, dst, text, url, method } = body;
    if (typeof src !== 'string' || src === '') return refusal(400, 'src parameter is required');
    if (typeof dst !== 'string' || dst === '') return refusal(400, 'dst parameter is required');
    if (typeof text !== 'string' || text === '') return refusal(400, 'text parameter is required');
    if (!NUMBER.test(src) && !SENDER_ID.test(src)) return refusal(400, 'src parameter is not a valid number or sender id');
    const destinations = dst.split('<');
    if (!destinations.every((number) => NUMBER.test(number))) return refusal(400, 'dst parameter is not a valid number');
    if ([...text].length > MAX_TEXT_LENGTH) return refusal(400, `text is longer than ${MAX_TEXT_LENGTH} characters`);
    if (url !== undefined && (typeof url !== 'string' || !/^https?:\/\/[^/]+/.test(url))) return refusal(400, 'url parameter is not a valid URL');
    if (method !== undefined && method !== 'GET' && method !== 'POST') return refusal(400, 'method parameter must be GET or POST');

    const uuids = destinations.map((number) => {
      const message: EmulatedSms = { messageUuid: randomUUID(), src, dst: `+${number.replace(/^\+/, '')}`, text, at };
      if (url !== undefined) message.statusUrl = url;
      sent.push(message);
      track(deliver(message, method === 'GET' ? 'GET' : 'POST'));
      return message.messageUuid;
    });
    return { status: 202, body: { api_id: randomUUID(), message: 'message(s) queued', message_uuid: uuids } };
  }

  function lookup(req: IncomingMessage, encodedNumber: string, query: URLSearchParams): Answer {
    lookups++;
    if (!authenticated(req)) return refusal(401, 'authentication failed');
    if (!admitLookup(Date.now())) return refusal(429, 'too many requests');
    if (query.get('type') !== 'carrier') return refusal(400, 'type parameter must be carrier');
    lookupsAnswered++;
    const number = decodeURIComponent(encodedNumber);
    const parsed = parsePhoneNumberFromString(number);
    const invalid = { status: 404, body: { api_id: randomUUID(), error_code: PLIVO_INVALID_NUMBER, message: 'Phone number is invalid or does not exist.' } };
    if (!NUMBER.test(number) || !number.startsWith('+') || parsed === undefined) return invalid;
    const lineType = lineTypeOf(number);
    if (lineType === 'invalid') return invalid;
    const onMobileNetwork = lineType === 'mobile';
    return {
      status: 200,
      body: {
        api_id: randomUUID(),
        phone_number: number,
        country: { name: parsed.country ?? '', iso2: parsed.country ?? '', iso3: '' },
        format: { e164: number, national: parsed.formatNational(), international: parsed.formatInternational(), rfc3966: parsed.getURI() },
        carrier: {
          mobile_country_code: onMobileNetwork ? '310' : '',
          mobile_network_code: onMobileNetwork ? '260' : '',
          name: `Emulated ${lineType} carrier`,
          type: lineType === 'toll_free' ? 'toll-free' : lineType,
          ported: 'no',
        },
        resource_uri: `/v1/Number/${number}?type=carrier`,
      },
    };
  }

  /** Keeps a background delivery in `pending` until it ends; closing the emulator cuts its pauses short. */
  function track(delivery: Promise<void>): void {
    const settled = delivery.catch(() => undefined).finally(() => pending.delete(settled));
    pending.add(settled);
  }

  /** A message's status callbacks in order, then, if it reached the customer, their reply. */
  async function deliver(message: EmulatedSms, method: 'GET' | 'POST'): Promise<void> {
    const to = message.dst.slice(1);
    const from = message.src.replace(/^\+/, '');
    for (const state of statesFor(lineTypeOf(message.dst))) {
      await sleep(STATE_STEP_MS, undefined, { signal: closing.signal });
      if (message.statusUrl !== undefined) {
        await callback(message.statusUrl, method, {
          From: from,
          To: to,
          Status: state.status,
          MessageUUID: message.messageUuid,
          ParentMessageUUID: message.messageUuid,
          PartInfo: '1 of 1',
          Units: '1',
          TotalRate: '0.00500',
          TotalAmount: '0.00500',
          ErrorCode: state.errorCode,
          MessageTime: plivoTime(Date.now()),
        });
      }
      if (state.status !== 'delivered') continue;
      const reply = options.customers.receive(message.dst);
      if (reply === undefined) continue;
      track(
        (async () => {
          await sleep(reply.delayMs, undefined, { signal: closing.signal });
          // Without a message URL on the application, Plivo keeps the reply to itself.
          if (inboundUrl === undefined) return;
          const intent = intentOf(reply.text);
          await callback(inboundUrl, 'POST', {
            From: to,
            To: from,
            Text: reply.text,
            Type: 'sms',
            MessageUUID: randomUUID(),
            Units: '1',
            TotalRate: '0.00000',
            TotalAmount: '0.00000',
            ...(intent === undefined ? {} : { MessageIntent: intent }),
          });
        })(),
      );
    }
  }

  /** Sends one signed callback until it is answered 2xx or the tries run out. */
  async function callback(target: string, method: 'GET' | 'POST', params: Record<string, string>): Promise<void> {
    const form = new URLSearchParams(params).toString();
    // A GET callback carries its parameters in the URL, which is then what is signed.
    const url = method === 'GET' ? `${target}${target.includes('?') ? '&' : '?'}${form}` : target;
    for (let attempt = 1; attempt <= DELIVERY_ATTEMPTS; attempt++) {
      const nonce = String(randomInt(1e9, 1e10)) + String(randomInt(1e9, 1e10));
      const headers: Record<string, string> = {
        'x-plivo-signature-v2': signPlivoV2({ url, nonce, authToken }),
        'x-plivo-signature-v2-nonce': nonce,
      };
      if (options.signature !== 'v2') {
        headers['x-plivo-signature-v3'] = signPlivoV3({ url, params: method === 'GET' ? [] : Object.entries(params), nonce, authToken });
        headers['x-plivo-signature-v3-nonce'] = nonce;
      }
      if (method === 'POST') headers['content-type'] = 'application/x-www-form-urlencoded';
      const status = await webhooks.post(url, { method, headers, body: method === 'POST' ? form : undefined });
      if (status >= 200 && status < 300) return;
      if (attempt < DELIVERY_ATTEMPTS) await sleep(RETRY_PAUSE_MS, undefined, { signal: closing.signal });
    }
  }

  function route(req: IncomingMessage, res: ServerResponse, rawBody: string): void {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const accountId = MESSAGE_PATH.exec(url.pathname)?.[1];
    if (accountId !== undefined) {
      if (req.method !== 'POST') return write(res, refusal(405, 'method not allowed'));
      return write(res, send(req, accountId, rawBody));
    }
    const number = NUMBER_PATH.exec(url.pathname)?.[1];
    if (number !== undefined) {
      if (req.method !== 'GET') return write(res, refusal(405, 'method not allowed'));
      return write(res, lookup(req, number, url.searchParams));
    }
    write(res, refusal(404, 'not found'));
  }

  const server = createServer((req, res) => {
    readText(req).then(
      (rawBody) => route(req, res, rawBody),
      () => res.destroy(),
    );
  });
  const loopback = await listenOnLoopback(server, options.port);

  return {
    url: loopback.url,
    authId,
    authToken,
    useWebhooks(webhooks) {
      inboundUrl = webhooks.inbound;
    },
    sentMessages: () => sent.map((message) => ({ ...message })),
    lookupRequests: () => lookups,
    lookupsAnswered: () => lookupsAnswered,
    maxSendsInAnyWindow: (windowMs) => busiestWindow(sendArrivals, windowMs),
    async settled() {
      // A delivery may schedule another (a reply) before it ends, so wait until none is left.
      while (pending.size > 0) await Promise.all(pending);
    },
    async close() {
      closing.abort();
      webhooks.close();
      await loopback.close();
    },
  };
}

function write(res: ServerResponse, answer: Answer): void {
  res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
}
