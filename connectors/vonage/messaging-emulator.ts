import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { text as readText } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { RateLimit } from '../../activities/extract/request-budget.ts';
import type { CarrierAnswer } from '../carrier-lookup.ts';
import type { EmulatedCustomers } from '../emulated-customers.ts';
import { listenOnLoopback } from '../loopback-server.ts';
import { emulatorWebhookSender } from '../emulator-webhook-sender.ts';
import { gsm7Septets, isGsm7, VONAGE_SMS_RATE } from './sms-client.ts';
import { VONAGE_INSIGHT_RATE } from './number-insight-client.ts';
import { signVonageParams, type VonageSignatureMethod } from './webhook-signature.ts';
import { busiestWindow } from '../busiest-window.ts';

export interface VonageMessagingEmulatorOptions {
  port?: number;
  apiKey?: string;
  apiSecret?: string;
  signatureSecret?: string;
  /** Default `sha256`. */
  signatureMethod?: VonageSignatureMethod;
  /** Who answers the SMS the product sends. */
  customers: EmulatedCustomers;
  /** The account's SMS throughput; beyond it a send is answered status 1 (Throttled). Default 30 per second. */
  smsRate?: RateLimit;
  /** Beyond it a Number Insight request is answered status 1. Default 30 per second. */
  insightRate?: RateLimit;
  /**
   * What Number Insight says each E.164 number is; default mobile. An `invalid` number is refused by Number
   * Insight and its SMS, though accepted, fails with a DLR (as Vonage fails an unroutable number: later).
   */
  lineTypes?: (e164: string) => CarrierAnswer['lineType'];
  /** How long after acceptance an SMS reaches the handset and its receipt goes out. Default 50 ms. */
  receiptDelayMs?: number;
}

/** An SMS the emulator accepted, with its text as the handset shows it. */
export interface EmulatedSms {
  /** The first part's `message-id`. */
  messageId: string;
  /** E.164. */
  to: string;
  from: string;
  text: string;
  clientRef?: string;
  /** Date.now() at acceptance. */
  at: number;
}

/** A webhook the emulator sent: `status` is the last answer's HTTP status (0: no answer), after `attempts` tries. */
export interface WebhookDelivery {
  kind: 'inbound' | 'receipt';
  messageId: string;
  status: number;
  attempts: number;
}

export interface VonageMessagingEmulator {
  /** Stands for both `https://rest.nexmo.com` (SMS) and `https://api.nexmo.com` (Number Insight). */
  url: string;
  apiKey: string;
  apiSecret: string;
  signatureSecret: string;
  signatureMethod: VonageSignatureMethod;
  /** The account's webhook URLs (Dashboard → API settings); a send's `callback` overrides the receipt URL. */
  useWebhooks(webhooks: { inbound: string; deliveryReceipt: string }): void;
  sentMessages(): EmulatedSms[];
  webhookDeliveries(): WebhookDelivery[];
  /** Number Insight requests received, refused ones included. */
  insightRequests(): number;
  /** The most send requests that arrived within any window shorter than `windowMs`, refused ones included. */
  maxSendsInAnyWindow(windowMs: number): number;
  /** Resolves when no receipt or reply is scheduled or being delivered. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

type Params = Record<string, string>;

interface SmsAnswer {
  status: string;
  errorText?: string;
}

const DEFAULT_SIGNATURE_SECRET = 'emulator-signature-secret-0123456789';
const DEFAULT_RECEIPT_DELAY_MS = 50;
/** Vonage resends for 24 hours; a few quick tries show the same thing here. */
const DELIVERY_ATTEMPTS = 3;
const RETRY_PAUSE_MS = 20;
const DELIVERY_TIMEOUT_MS = 5000;
/** ITU's test network (MCC 001, MNC 01): an emulated number belongs to no real carrier. */
const NETWORK_CODE = '00101';
const MESSAGE_PRICE = '0.03330000';
const INSIGHT_PRICE = '0.00500000';
const REMAINING_BALANCE = '100.00000000';
const SMS_TYPES = ['text', 'unicode'];
const MSISDN = /^\d{7,15}$/;
const ALPHANUMERIC_SENDER = /^[A-Za-z0-9]{1,11}$/;
const CLIENT_REF_MAX_LENGTH = 40;
const CALLBACK_MAX_LENGTH = 255;

const NETWORK_TYPES: Record<CarrierAnswer['lineType'], string | null> = {
  mobile: 'mobile',
  fixed: 'landline',
  voip: 'virtual',
  toll_free: 'landline_tollfree',
  unknown: 'unknown',
  invalid: null,
};

/**
 * Vonage's SMS API (`POST /sms/json`) and Number Insight Standard (`GET /ni/standard/json`), as strict as the
 * specs (nexmo-sms.yml, nexmo-number-insight.yml): credentials, required fields and per-second throughput
 * answered with Vonage's status codes in an HTTP 200; a text not in the GSM alphabet sent without
 * `type=unicode` arrives with question marks. Each accepted SMS reaches its customer, who may answer (as
 * `customers` scripts), and each part gets a signed delivery receipt; replies come back as signed inbound
 * SMS, in parts when they are long, last part first. A webhook not answered 2xx is sent again a few times.
 */
export async function startVonageMessagingEmulator(options: VonageMessagingEmulatorOptions): Promise<VonageMessagingEmulator> {
  const apiKey = options.apiKey ?? 'abcd1234';
  const apiSecret = options.apiSecret ?? 'emulator-secret';
  const signatureSecret = options.signatureSecret ?? DEFAULT_SIGNATURE_SECRET;
  const signatureMethod = options.signatureMethod ?? 'sha256';
  const smsRate = options.smsRate ?? VONAGE_SMS_RATE;
  const insightRate = options.insightRate ?? VONAGE_INSIGHT_RATE;
  const lineTypes = options.lineTypes ?? (() => 'mobile');
  const receiptDelayMs = options.receiptDelayMs ?? DEFAULT_RECEIPT_DELAY_MS;
  const closing = new AbortController();
  const sender = emulatorWebhookSender({ timeoutMs: DELIVERY_TIMEOUT_MS });
  const sent: EmulatedSms[] = [];
  const deliveries: WebhookDelivery[] = [];
  const sendArrivals: number[] = [];
  const insightArrivals: number[] = [];
  let webhooks: { inbound: string; deliveryReceipt: string } | undefined;

  // Scheduled and in-flight deliveries, for settled().
  const timers = new Set<NodeJS.Timeout>();
  let pending = 0;
  const waiters: (() => void)[] = [];
  function schedule(delayMs: number, job: () => Promise<void>): void {
    pending++;
    const timer = setTimeout(() => {
      timers.delete(timer);
      job()
        // Only the test's own callbacks (customers, lineTypes) can throw here; a delivery never does.
        .catch((error: unknown) => console.error(`Vonage messaging emulator: ${String(error)}`))
        .finally(() => {
          pending--;
          if (pending === 0) for (const resolve of waiters.splice(0)) resolve();
        });
    }, delayMs);
    timers.add(timer);
  }

  function authorized(params: Params, req: IncomingMessage): boolean {
    const [scheme, encoded] = (req.headers.authorization ?? '').split(' ');
    if (scheme?.toLowerCase() === 'basic' && encoded !== undefined) return Buffer.from(encoded, 'base64').toString() === `${apiKey}:${apiSecret}`;
    return params.api_key === apiKey && params.api_secret === apiSecret;
  }

  function sendSms(params: Params): { messages: Record<string, string>[] } {
    const refused = (answer: SmsAnswer) => ({ messages: [{ status: answer.status, 'error-text': answer.errorText ?? '' }] });
    const problem = smsProblem(params);
    if (problem !== undefined) return refused(problem);
    const to = params.to!;
    const type = params.type ?? 'text';
    // Outside the GSM alphabet a `text` message cannot carry a character: the handset shows a question mark.
    const text = type === 'unicode' ? params.text! : [...params.text!].map((c) => (isGsm7(c) ? c : '?')).join('');
    const ids = Array.from({ length: partCount(text, type) }, messageId);
    const clientRef = params['client-ref'];
    const sms: EmulatedSms = { messageId: ids[0]!, to: `+${to}`, from: params.from!, text, ...(clientRef === undefined ? {} : { clientRef }), at: Date.now() };
    sent.push(sms);
    const callback = params.callback;
    schedule(receiptDelayMs, () => reachHandset(sms, ids, callback));
    return {
      messages: ids.map((id) => ({
        to,
        'message-id': id,
        status: '0',
        'remaining-balance': REMAINING_BALANCE,
        'message-price': MESSAGE_PRICE,
        network: NETWORK_CODE,
        ...(clientRef === undefined ? {} : { 'client-ref': clientRef }),
      })),
    };
  }

  function smsProblem(params: Params): SmsAnswer | undefined {
    const missing = (name: string) => (params[name] ?? '') === '';
    if (missing('api_key')) return { status: '2', errorText: 'Missing api_key' };
    // Signed requests (sig instead of api_secret) are not emulated: without the secret a request is refused.
    if (missing('api_secret')) return { status: '2', errorText: 'Missing api_secret' };
    if (params.sig !== undefined) return { status: '32', errorText: 'Signature and API secret disallowed' };
    if (params.api_key !== apiKey || params.api_secret !== apiSecret) return { status: '4', errorText: 'Bad Credentials' };
    for (const name of ['from', 'to', 'text']) if (missing(name)) return { status: '2', errorText: `Missing ${name} param` };
    const type = params.type ?? 'text';
    if (!SMS_TYPES.includes(type)) return { status: '3', errorText: `Invalid type param (this emulator sends ${SMS_TYPES.join(' and ')})` };
    if (!MSISDN.test(params.to!)) return { status: '3', errorText: 'Invalid to address' };
    const from = params.from!.replaceAll(' ', '');
    if (!MSISDN.test(from) && !ALPHANUMERIC_SENDER.test(from)) return { status: '3', errorText: 'Invalid from address' };
    if ((params['client-ref'] ?? '').length > CLIENT_REF_MAX_LENGTH) return { status: '3', errorText: 'Invalid client-ref param' };
    const callback = params.callback;
    if (callback !== undefined && (callback.length > CALLBACK_MAX_LENGTH || !URL.canParse(callback) || !/^https?:$/.test(new URL(callback).protocol))) {
      return { status: '23', errorText: 'Invalid callback url' };
    }
    return undefined;
  }

  /** The SMS reaches the handset (or fails to); receipts go out, and the customer may answer. */
  async function reachHandset(sms: EmulatedSms, ids: string[], callback: string | undefined): Promise<void> {
    const reached = lineTypes(sms.to) !== 'invalid';
    if (reached) {
      const answer = options.customers.receive(sms.to);
      // A phone cannot answer an alphanumeric sender id: the reply has nowhere to go.
      if (answer !== undefined && MSISDN.test(sms.from)) schedule(answer.delayMs, () => reply(sms, answer.text));
    }
    const url = callback ?? webhooks?.deliveryReceipt;
    if (url === undefined) return;
    const now = new Date();
    await Promise.all(
      ids.map((id) =>
        deliver('receipt', id, url, 'json', {
          msisdn: sms.to.slice(1),
          to: sms.from,
          'network-code': NETWORK_CODE,
          messageId: id,
          price: MESSAGE_PRICE,
          // 9: Illegal Number, in Vonage's DLR error codes.
          status: reached ? 'delivered' : 'failed',
          'err-code': reached ? '0' : '9',
          scts: scts(now),
          'api-key': apiKey,
          ...(sms.clientRef === undefined ? {} : { 'client-ref': sms.clientRef }),
          'message-timestamp': messageTimestamp(now),
        }),
      ),
    );
  }

  /** The customer's answer, as Vonage's inbound SMS webhook; parts go last first, as nothing promises their order. */
  async function reply(sms: EmulatedSms, text: string): Promise<void> {
    const url = webhooks?.inbound;
    if (url === undefined) return;
    const type = isGsm7(text) ? 'text' : 'unicode';
    const parts = splitIntoParts(text, type);
    const ref = String(randomBytes(1)[0]);
    const now = new Date();
    for (let index = parts.length - 1; index >= 0; index--) {
      const id = messageId();
      const part = parts[index]!;
      await deliver('inbound', id, url, 'form', {
        msisdn: sms.to.slice(1),
        to: sms.from,
        messageId: id,
        text: part,
        type,
        keyword: (part.trim().split(/\s+/)[0] ?? '').toUpperCase(),
        'api-key': apiKey,
        'message-timestamp': messageTimestamp(now),
        ...(parts.length === 1 ? {} : { concat: 'true', 'concat-ref': ref, 'concat-total': String(parts.length), 'concat-part': String(index + 1) }),
      });
    }
  }

  /** Signs and sends one webhook until it is answered 2xx or the tries run out. */
  async function deliver(kind: WebhookDelivery['kind'], id: string, url: string, encoding: 'form' | 'json', fields: Params): Promise<void> {
    const params: Params = { ...fields, timestamp: String(Math.floor(Date.now() / 1000)), nonce: randomUUID() };
    params.sig = signVonageParams(params, signatureSecret, signatureMethod);
    const body = encoding === 'json' ? JSON.stringify(params) : new URLSearchParams(params).toString();
    const contentType = encoding === 'json' ? 'application/json' : 'application/x-www-form-urlencoded';
    const delivery: WebhookDelivery = { kind, messageId: id, status: 0, attempts: 0 };
    deliveries.push(delivery);
    for (;;) {
      delivery.attempts++;
      delivery.status = await sender.post(url, { headers: { 'content-type': contentType }, body });
      if ((delivery.status >= 200 && delivery.status < 300) || delivery.attempts >= DELIVERY_ATTEMPTS || closing.signal.aborted) return;
      await sleep(RETRY_PAUSE_MS);
    }
  }

  function numberInsight(params: Params, req: IncomingMessage): Record<string, unknown> {
    if (!authorized(params, req)) return { status: 4, status_message: 'Invalid credentials' };
    const number = params.number;
    if (number === undefined || number === '') return { status: 3, status_message: 'Invalid request :: Missing number' };
    const digits = number.replace(/[-+()\s]/g, '');
    const e164 = `+${digits}`;
    if (!/^[0-9-+()\s]*$/.test(number) || !MSISDN.test(digits) || lineTypes(e164) === 'invalid') {
      return { status: 3, status_message: 'Invalid request :: Not valid number format detected' };
    }
    const phone = parsePhoneNumberFromString(e164);
    // A number in a range kept for fiction (07700 900xxx) has no country of its own; its calling code still names one.
    const country = phone?.country ?? phone?.getPossibleCountries()[0] ?? null;
    const carrier = {
      network_code: NETWORK_CODE,
      name: 'Emulated Network',
      country,
      network_type: NETWORK_TYPES[lineTypes(e164)],
    };
    return {
      status: 0,
      status_message: 'Success',
      request_id: randomUUID(),
      international_format_number: digits,
      national_format_number: phone?.formatNational() ?? digits,
      country_code: country,
      country_name: country === null ? null : (new Intl.DisplayNames(['en'], { type: 'region' }).of(country) ?? null),
      country_prefix: phone?.countryCallingCode ?? null,
      request_price: INSIGHT_PRICE,
      remaining_balance: REMAINING_BALANCE,
      current_carrier: carrier,
      original_carrier: carrier,
      ported: 'not_ported',
    };
  }

  function route(req: IncomingMessage, res: ServerResponse, params: Params, at: number): void {
    const path = new URL(req.url ?? '/', 'http://emulator').pathname;
    if (req.method === 'POST' && path === '/sms/json') {
      if (overLimit(sendArrivals, smsRate, at)) return send(res, 200, { 'message-count': '1', messages: [{ status: '1', 'error-text': 'Throttled' }] });
      const answer = sendSms(params);
      return send(res, 200, { 'message-count': String(answer.messages.length), ...answer });
    }
    if ((req.method === 'GET' || req.method === 'POST') && path === '/ni/standard/json') {
      if (overLimit(insightArrivals, insightRate, at)) return send(res, 200, { status: 1, status_message: 'Busy' });
      return send(res, 200, numberInsight(params, req));
    }
    send(res, 404, { error_title: 'Not Found', error_text: `${req.method} ${path} does not exist` });
  }

  const server = createServer((req, res) => {
    const at = performance.now();
    readText(req).then(
      (rawBody) => {
        const params: Params = {};
        const add = (entries: Iterable<[string, string]>) => {
          for (const [name, value] of entries) if (!(name in params)) params[name] = value;
        };
        add(new URL(req.url ?? '/', 'http://emulator').searchParams);
        // The SMS API takes a form; a JSON body is not part of its contract and reads as no parameters.
        if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) add(new URLSearchParams(rawBody));
        route(req, res, params, at);
      },
      () => res.destroy(),
    );
  });
  const loopback = await listenOnLoopback(server, options.port);

  return {
    url: loopback.url,
    apiKey,
    apiSecret,
    signatureSecret,
    signatureMethod,
    useWebhooks(urls) {
      webhooks = { ...urls };
    },
    sentMessages: () => sent.map((sms) => ({ ...sms })),
    webhookDeliveries: () => deliveries.map((delivery) => ({ ...delivery })),
    insightRequests: () => insightArrivals.length,
    maxSendsInAnyWindow: (windowMs) => busiestWindow(sendArrivals, windowMs),
    settled: () => (pending === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
    close() {
      closing.abort();
      sender.close();
      // Deliveries under way end on the abort and count themselves out; the scheduled ones never start.
      for (const timer of timers) clearTimeout(timer);
      pending -= timers.size;
      timers.clear();
      for (const resolve of waiters.splice(0)) resolve();
      return loopback.close();
    },
  };
}

/** Counts an arrival and says whether it is over the limit for its rolling window. */
function overLimit(arrivals: number[], rate: RateLimit, at: number): boolean {
  arrivals.push(at);
  let inWindow = 0;
  for (let i = arrivals.length - 1; i >= 0 && arrivals[i]! > at - rate.intervalMs; i--) inWindow++;
  return inWindow > rate.requests;
}

function messageId(): string {
  return randomBytes(8).toString('hex').toUpperCase();
}

/** How many SMS a text takes: 160 septets (or 70 UCS-2 units) alone, 153 (or 67) per part once split. */
function partCount(text: string, type: string): number {
  const length = type === 'unicode' ? text.length : gsm7Septets(text);
  const [single, perPart] = type === 'unicode' ? [70, 67] : [160, 153];
  return length <= single ? 1 : Math.ceil(length / perPart);
}

/** A text cut where the sending phone cuts it, never inside a character or an escape. */
function splitIntoParts(text: string, type: string): string[] {
  if (partCount(text, type) === 1) return [text];
  const perPart = type === 'unicode' ? 67 : 153;
  const parts: string[] = [];
  let current = '';
  let size = 0;
  for (const character of text) {
    const cost = type === 'unicode' ? character.length : gsm7Septets(character);
    if (size + cost > perPart) {
      parts.push(current);
      current = '';
      size = 0;
    }
    current += character;
    size += cost;
  }
  parts.push(current);
  return parts;
}

/** `message-timestamp`: UTC, `YYYY-MM-DD HH:MM:SS`. */
function messageTimestamp(time: Date): string {
  return time.toISOString().slice(0, 19).replace('T', ' ');
}

/** The carrier's receipt time, `YYMMDDHHMM`. */
function scts(time: Date): string {
  return time.toISOString().slice(2, 16).replace(/[-T:]/g, '');
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
