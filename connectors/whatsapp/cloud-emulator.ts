import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { text } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RateLimit } from '../../activities/extract/request-budget.ts';
import { whatsAppAddress, type EmulatedCustomers } from '../emulated-customers.ts';
import { listenOnLoopback } from '../loopback-server.ts';
import { seededRandom } from '../seeded-random.ts';
import { WHATSAPP_THROUGHPUT } from './cloud-client.ts';
import { signWhatsAppBody } from './webhook-signature.ts';
import { busiestWindow } from '../busiest-window.ts';

/** An approved template of the emulated business. */
export interface ApprovedTemplate {
  name: string;
  /** Meta's language code, like `en_US` or `ar`. */
  language: string;
  /** How many variables (`{{1}}`, ...) its body has. Default 0. */
  bodyParameters?: number;
}

export interface WhatsAppCloudEmulatorOptions {
  port?: number;
  accessToken?: string;
  phoneNumberId?: string;
  appSecret?: string;
  templates: ApprovedTemplate[];
  customers: EmulatedCustomers;
  /** Messages the number takes per window. Default WHATSAPP_THROUGHPUT (80 per second). */
  throughput?: RateLimit;
  /** The pair rate limit: the least time between two messages to one customer. Default 6,000 ms. */
  pairIntervalMs?: number;
  /** Unique customers per moving 24 hours (the messaging limit tier). Default 250, the first tier. */
  messagingLimit?: number;
  /** How status webhooks arrive, drawn from a seeded generator so a run can be repeated. */
  statuses?: {
    /** Each step (accepted → sent → delivered → read) takes between these. Default 10 to 100 ms. */
    minDelayMs?: number;
    maxDelayMs?: number;
    /** Share of statuses (0 to 1) Meta sends a second time. Default 0. */
    duplicateRate?: number;
    seed?: number;
  };
}

export interface SentTemplateMessage {
  wamid: string;
  /** As the request wrote it. */
  to: string;
  template: { name: string; language: string };
  /** When Meta accepted it, in ms since the epoch. */
  at: number;
  callbackData?: string;
}

export interface SendRefusal {
  at: number;
  status: number;
  /** Meta's error code. */
  code: number;
}

export interface WhatsAppCloudEmulator {
  /** The Graph API base, like `https://graph.facebook.com`: `${url}/v23.0/${phoneNumberId}/messages`. */
  url: string;
  accessToken: string;
  phoneNumberId: string;
  appSecret: string;
  /** Where Meta posts notifications (the app's callback URL). Until set, notifications go nowhere. */
  useWebhooks(webhooks: { url: string }): void;
  /** Every message accepted, in order. */
  sentMessages(): SentTemplateMessage[];
  /** Every send refused, in order. */
  refusals(): SendRefusal[];
  /** The most messages accepted within any rolling `windowMs`. */
  maxAcceptedInAnyWindow(windowMs: number): number;
  /** Resolves when no notification is waiting to be sent or being sent. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_ACCESS_TOKEN = 'EAAGemulatedWhatsAppCloudAccessToken0ZD';
const DEFAULT_PHONE_NUMBER_ID = '106540352242922';
const DEFAULT_APP_SECRET = 'emulated-whatsapp-app-secret';
const DISPLAY_PHONE_NUMBER = '15550783881';
const BUSINESS_ACCOUNT_ID = '102290129340398';
const DEFAULT_PAIR_INTERVAL_MS = 6000;
const DEFAULT_MESSAGING_LIMIT = 250;
const MESSAGING_WINDOW_MS = 24 * 3_600_000;
const DEFAULT_MIN_DELAY_MS = 10;
const DEFAULT_MAX_DELAY_MS = 100;
/** Share of messages read at once, whose `delivered` Meta never sends. */
const SKIPPED_DELIVERED_RATE = 0.2;
/** Share of messages whose last two statuses arrive in the wrong order. */
const OUT_OF_ORDER_RATE = 0.2;
/** Statuses due this close together go out in one notification. */
const BATCH_WINDOW_MS = 25;
const STATUSES_PER_NOTIFICATION = 50;
/** Meta retries for days; a few quick tries show the same thing here. */
const DELIVERY_ATTEMPTS = 3;
const RETRY_PAUSE_MS = 20;
const DELIVERY_TIMEOUT_MS = 10_000;
const CALLBACK_DATA_LIMIT = 512;
const MESSAGES_PATH = /^\/(v\d+\.\d+)\/([^/]+)\/messages$/;
/** What Meta accepts in `to`: digits with an optional +, spaces, dashes and brackets, as its examples show. */
const PHONE_NUMBER = /^\+?[\d\s().-]+$/;

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** A notification waiting for its time: statuses of one batch, or a customer's message. */
interface Outgoing {
  dueAt: number;
  status?: Record<string, unknown>;
  message?: { from: string; text: string };
}

/** Meta's error envelope; `error_data` only for the WhatsApp errors that carry details. */
function graphError(status: number, code: number, message: string, extra: { details?: string; type?: string; subcode?: number } = {}): Answer {
  return {
    status,
    body: {
      error: {
        message,
        type: extra.type ?? 'OAuthException',
        code,
        ...(extra.subcode === undefined ? {} : { error_subcode: extra.subcode }),
        ...(extra.details === undefined ? {} : { error_data: { messaging_product: 'whatsapp', details: extra.details } }),
        fbtrace_id: randomBytes(17).toString('base64url'),
      },
    },
  };
}

const missingParameter = (name: string) => graphError(400, 131008, '(#131008) Required parameter is missing', { details: `The parameter ${name} is required.` });
const invalidParameter = (details: string) => graphError(400, 131009, '(#131009) Parameter value is not valid', { details });

/** JSON as Meta writes it: non-ASCII characters and slashes escaped, so only the bytes as sent match the signature. */
function metaJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/\//g, '\\/');
}

const epochSeconds = (ms: number): string => String(Math.floor(ms / 1000));
const newWamid = (): string => `wamid.HBgL${randomBytes(27).toString('base64')}`;

/**
 * Meta's Cloud API for sending templates (`POST /{version}/{phone-number-id}/messages`), as strict as Meta:
 * Bearer token, the number's id, the body, approved templates and their parameter counts, throughput, the pair
 * rate limit and the messaging limit, with Meta's error envelope and codes. Every well-formed message is
 * accepted, whether the number has WhatsApp or not; what happened to it arrives later as signed status
 * notifications, unkind as Meta's: `delivered` sometimes skipped, statuses out of order, batched or sent twice,
 * and 131026 for numbers without WhatsApp. Customers who answer (EmulatedCustomers) write back after reading.
 */
export async function startWhatsAppCloudEmulator(options: WhatsAppCloudEmulatorOptions): Promise<WhatsAppCloudEmulator> {
  const accessToken = options.accessToken ?? DEFAULT_ACCESS_TOKEN;
  const phoneNumberId = options.phoneNumberId ?? DEFAULT_PHONE_NUMBER_ID;
  const appSecret = options.appSecret ?? DEFAULT_APP_SECRET;
  const throughput = options.throughput ?? WHATSAPP_THROUGHPUT;
  const pairIntervalMs = options.pairIntervalMs ?? DEFAULT_PAIR_INTERVAL_MS;
  const messagingLimit = options.messagingLimit ?? DEFAULT_MESSAGING_LIMIT;
  const minDelayMs = options.statuses?.minDelayMs ?? DEFAULT_MIN_DELAY_MS;
  const maxDelayMs = Math.max(minDelayMs, options.statuses?.maxDelayMs ?? DEFAULT_MAX_DELAY_MS);
  const duplicateRate = options.statuses?.duplicateRate ?? 0;
  const random = seededRandom(options.statuses?.seed ?? 1);
  const step = (): number => minDelayMs + random() * (maxDelayMs - minDelayMs);

  const sent: SentTemplateMessage[] = [];
  const refused: SendRefusal[] = [];
  const recentArrivals: number[] = [];
  /** Each customer reached in the last 24 hours and when last, oldest first (re-inserted on each message). */
  const lastReached = new Map<string, number>();
  let webhookUrl: string | undefined;
  const outbox: Outgoing[] = [];
  let timer: NodeJS.Timeout | undefined;
  let posting = 0;
  let waiters: (() => void)[] = [];
  let closed = false;

  function findTemplate(name: string, language: string): ApprovedTemplate | undefined {
    return options.templates.find((template) => template.name === name && template.language === language);
  }

  /** The checks Meta makes on the body, in its words; the template when all pass. */
  function validate(body: Record<string, unknown>): Answer | { to: string; digits: string; template: ApprovedTemplate; callbackData?: string } {
    if (body.messaging_product === undefined) return graphError(400, 100, '(#100) The parameter messaging_product is required.');
    if (body.messaging_product !== 'whatsapp') return graphError(400, 100, '(#100) Param messaging_product must be one of {WHATSAPP}');
    if (body.recipient_type !== undefined && body.recipient_type !== 'individual') {
      return invalidParameter('recipient_type: only individual is supported for template messages to customers');
    }
    if (body.to === undefined) return missingParameter('to');
    if (typeof body.to !== 'string' || !PHONE_NUMBER.test(body.to)) return invalidParameter('to: not a phone number');
    const digits = body.to.replace(/\D/g, '');
    if (digits.length < 7 || digits.length > 15) return invalidParameter('to: not a phone number');
    if (body.type !== 'template') return graphError(400, 100, '(#100) Invalid parameter', { details: 'type: this emulator sends template messages only' });
    if (typeof body.template !== 'object' || body.template === null) return missingParameter('template');
    const template = body.template as Record<string, unknown>;
    if (typeof template.name !== 'string' || template.name === '') return missingParameter('template.name');
    if (typeof template.language !== 'object' || template.language === null) return missingParameter('template.language');
    const language = template.language as Record<string, unknown>;
    if (typeof language.code !== 'string' || language.code === '') return missingParameter('template.language.code');
    if (language.policy !== undefined && language.policy !== 'deterministic') return invalidParameter('template.language.policy: must be deterministic');
    const callbackData = body.biz_opaque_callback_data;
    if (callbackData !== undefined && (typeof callbackData !== 'string' || callbackData.length > CALLBACK_DATA_LIMIT)) {
      return invalidParameter(`biz_opaque_callback_data: a string of at most ${CALLBACK_DATA_LIMIT} characters`);
    }
    const given = parameterCounts(template.components);
    if (typeof given === 'string') return invalidParameter(given);
    const approved = findTemplate(template.name, language.code);
    if (approved === undefined) {
      return graphError(404, 132001, '(#132001) Template name does not exist in the translation', {
        details: `template name (${template.name}) does not exist in ${language.code}`,
      });
    }
    // The emulated templates have a body only: header or button parameters never match them.
    const expected = { header: 0, body: approved.bodyParameters ?? 0, button: 0 };
    for (const part of ['header', 'body', 'button'] as const) {
      if (given[part] === expected[part]) continue;
      return graphError(400, 132000, '(#132000) Number of parameters does not match the expected number of params', {
        details: `${part}: number of localizable_params (${given[part]}) does not match the expected number of params (${expected[part]})`,
      });
    }
    return { to: body.to, digits, template: approved, ...(callbackData === undefined ? {} : { callbackData }) };
  }

  /** Counts a message against the number's throughput and says whether there was room for it. */
  function withinThroughput(at: number): boolean {
    while (recentArrivals.length > 0 && recentArrivals[0]! <= at - throughput.intervalMs) recentArrivals.shift();
    recentArrivals.push(at);
    return recentArrivals.length <= throughput.requests;
  }

  function send(req: IncomingMessage, path: RegExpExecArray, rawBody: string, at: number): Answer {
    const authorization = req.headers.authorization;
    if (authorization === undefined) return graphError(400, 104, 'An access token is required to request this resource.');
    if (authorization !== `Bearer ${accessToken}`) return graphError(401, 190, 'Invalid OAuth access token - Cannot parse access token');
    if (decodeURIComponent(path[2]!) !== phoneNumberId) {
      return graphError(400, 100, `Unsupported post request. Object with ID '${path[2]}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`, {
        type: 'GraphMethodException',
        subcode: 33,
      });
    }
    let body: unknown;
    try {
      body = JSON.parse(rawBody);
    } catch {
      return graphError(400, 100, '(#100) Invalid parameter', { details: 'The request body is not valid JSON' });
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return graphError(400, 100, '(#100) Invalid parameter', { details: 'The request body must be a JSON object' });
    }
    const valid = validate(body as Record<string, unknown>);
    if ('status' in valid) return valid;

    if (!withinThroughput(at)) {
      return graphError(429, 130429, '(#130429) Rate limit hit', { details: 'Cloud API message throughput has been reached.' });
    }
    for (const [customer, last] of lastReached) {
      if (last > at - MESSAGING_WINDOW_MS) break;
      lastReached.delete(customer);
    }
    const last = lastReached.get(valid.digits);
    // Meta names the messaging limit with its spam rate limit code and words.
    if (last === undefined && lastReached.size >= messagingLimit) {
      return graphError(400, 131048, '(#131048) Spam rate limit hit', {
        details: 'Message failed to send because there are restrictions on how many messages can be sent from this phone number. This may be because too many previous messages were blocked or flagged as spam.',
      });
    }
    if (last !== undefined && at - last < pairIntervalMs) {
      return graphError(400, 131056, '(#131056) (Business Account, Consumer Account) pair rate limit hit', {
        details: 'Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.',
      });
    }
    lastReached.delete(valid.digits);
    lastReached.set(valid.digits, at);

    const wamid = newWamid();
    sent.push({
      wamid,
      to: valid.to,
      template: { name: valid.template.name, language: valid.template.language },
      at,
      ...(valid.callbackData === undefined ? {} : { callbackData: valid.callbackData }),
    });
    playOut(wamid, valid.digits, at, valid.callbackData);
    return {
      status: 200,
      body: { messaging_product: 'whatsapp', contacts: [{ input: valid.to, wa_id: valid.digits }], messages: [{ id: wamid, message_status: 'accepted' }] },
    };
  }

  /** Schedules what becomes of an accepted message: its statuses, and the customer's answer if they give one. */
  function playOut(wamid: string, digits: string, acceptedAt: number, callbackData: string | undefined): void {
    const common = { id: wamid, recipient_id: digits, ...(callbackData === undefined ? {} : { biz_opaque_callback_data: callbackData }) };
    const e164 = `+${digits}`;
    if (!options.customers.onWhatsApp(e164)) {
      const failedAt = acceptedAt + step();
      const error = {
        code: 131026,
        title: 'Message undeliverable',
        message: 'Message undeliverable',
        error_data: { details: 'Message Undeliverable.' },
        href: 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/',
      };
      return scheduleStatus(failedAt, { ...common, status: 'failed', timestamp: epochSeconds(failedAt), errors: [error] });
    }
    const pricing = { billable: true, pricing_model: 'PMP', category: 'utility', type: 'regular' };
    const sentAt = acceptedAt + step();
    const deliveredAt = sentAt + step();
    const readAt = deliveredAt + step();
    const steps = [
      { at: sentAt, status: { ...common, status: 'sent', timestamp: epochSeconds(sentAt), pricing } },
      ...(random() < SKIPPED_DELIVERED_RATE ? [] : [{ at: deliveredAt, status: { ...common, status: 'delivered', timestamp: epochSeconds(deliveredAt), pricing } }]),
      { at: readAt, status: { ...common, status: 'read', timestamp: epochSeconds(readAt) } },
    ];
    const postTimes = steps.map((s) => s.at);
    if (random() < OUT_OF_ORDER_RATE) postTimes.push(...postTimes.splice(-2).reverse());
    steps.forEach((s, index) => scheduleStatus(postTimes[index]!, s.status));

    const answer = options.customers.receive(whatsAppAddress(e164));
    if (answer !== undefined) schedule({ dueAt: readAt + answer.delayMs, message: { from: digits, text: answer.text } });
  }

  function scheduleStatus(dueAt: number, status: Record<string, unknown>): void {
    schedule({ dueAt, status });
    if (random() < duplicateRate) schedule({ dueAt: dueAt + step(), status });
  }

  function schedule(outgoing: Outgoing): void {
    if (closed) return;
    outbox.push(outgoing);
    arm();
  }

  function arm(): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (outbox.length === 0) return checkSettled();
    const next = outbox.reduce((soonest, outgoing) => Math.min(soonest, outgoing.dueAt), Number.POSITIVE_INFINITY);
    timer = setTimeout(flush, Math.max(0, next - Date.now()));
  }

  /** Sends what is due, statuses due together in one notification as Meta batches them. */
  function flush(): void {
    timer = undefined;
    const horizon = Date.now() + BATCH_WINDOW_MS;
    const due = outbox.filter((outgoing) => outgoing.dueAt <= horizon).sort((a, b) => a.dueAt - b.dueAt);
    const later = outbox.filter((outgoing) => outgoing.dueAt > horizon);
    outbox.splice(0, outbox.length, ...later);
    const statuses = due.flatMap((outgoing) => (outgoing.status === undefined ? [] : [outgoing.status]));
    for (let start = 0; start < statuses.length; start += STATUSES_PER_NOTIFICATION) {
      post({ statuses: statuses.slice(start, start + STATUSES_PER_NOTIFICATION) });
    }
    for (const { message } of due) {
      if (message === undefined) continue;
      post({
        contacts: [{ profile: { name: 'WhatsApp customer' }, wa_id: message.from }],
        messages: [{ from: message.from, id: newWamid(), timestamp: epochSeconds(Date.now()), type: 'text', text: { body: message.text } }],
      });
    }
    arm();
  }

  /** Posts one notification in the background; nowhere when no callback URL is set, as when no app subscribes. */
  function post(value: Record<string, unknown>): void {
    if (webhookUrl === undefined) return;
    const body = metaJson({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: BUSINESS_ACCOUNT_ID,
          changes: [{ value: { messaging_product: 'whatsapp', metadata: { display_phone_number: DISPLAY_PHONE_NUMBER, phone_number_id: phoneNumberId }, ...value }, field: 'messages' }],
        },
      ],
    });
    posting++;
    void deliver(webhookUrl, body).finally(() => {
      posting--;
      checkSettled();
    });
  }

  /** Tries until answered 200, the tries run out or the emulator closes. */
  async function deliver(url: string, body: string): Promise<void> {
    const signature = signWhatsAppBody(body, appSecret);
    for (let attempt = 1; attempt <= DELIVERY_ATTEMPTS && !closed; attempt++) {
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
          body,
          signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
        });
        await response.arrayBuffer();
        if (response.status === 200) return;
      } catch {
        // Unreachable or too slow: tried again like any other refusal.
      }
      if (attempt < DELIVERY_ATTEMPTS) await sleep(RETRY_PAUSE_MS);
    }
  }

  function checkSettled(): void {
    if (outbox.length > 0 || posting > 0) return;
    const waiting = waiters;
    waiters = [];
    for (const resolve of waiting) resolve();
  }

  function respond(res: ServerResponse, answer: Answer, at: number): void {
    if (answer.status !== 200) refused.push({ at, status: answer.status, code: (answer.body.error as { code: number }).code });
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (answer.status === 401) headers['www-authenticate'] = 'OAuth "Facebook Platform" "invalid_token" "Invalid OAuth access token - Cannot parse access token"';
    res.writeHead(answer.status, headers).end(JSON.stringify(answer.body));
  }

  const server = createServer((req, res) => {
    text(req).then(
      (rawBody) => {
        const at = Date.now();
        const pathname = new URL(req.url ?? '/', 'http://emulator').pathname;
        const path = MESSAGES_PATH.exec(pathname);
        if (path === null || req.method !== 'POST') {
          return respond(res, graphError(400, 2500, `Unknown path components: ${pathname}`), at);
        }
        respond(res, send(req, path, rawBody, at), at);
      },
      // The client went away while sending its body: there is no one left to answer.
      () => res.destroy(),
    );
  });
  const loopback = await listenOnLoopback(server, options.port);

  const settled = (): Promise<void> =>
    new Promise((resolve) => {
      waiters.push(resolve);
      checkSettled();
    });

  return {
    url: loopback.url,
    accessToken,
    phoneNumberId,
    appSecret,
    useWebhooks(webhooks) {
      webhookUrl = webhooks.url;
    },
    sentMessages: () => sent.map((message) => ({ ...message, template: { ...message.template } })),
    refusals: () => refused.map((refusal) => ({ ...refusal })),
    maxAcceptedInAnyWindow: (windowMs) => busiestWindow(sent.map((message) => message.at).sort((a, b) => a - b), windowMs),
    settled,
    async close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      outbox.length = 0;
      await settled();
      await loopback.close();
    },
  };
}

/** How many parameters the request gives per component type, or what is wrong with `components`. */
function parameterCounts(components: unknown): Record<'header' | 'body' | 'button', number> | string {
  const counts = { header: 0, body: 0, button: 0 };
  if (components === undefined) return counts;
  if (!Array.isArray(components)) return 'template.components: must be an array';
  for (const [index, component] of components.entries()) {
    if (typeof component !== 'object' || component === null) return `template.components[${index}]: must be an object`;
    const { type, parameters } = component as { type?: unknown; parameters?: unknown };
    if (type !== 'header' && type !== 'body' && type !== 'button') return `template.components[${index}].type: must be header, body or button`;
    if (parameters !== undefined && !Array.isArray(parameters)) return `template.components[${index}].parameters: must be an array`;
    for (const [p, parameter] of (parameters ?? []).entries()) {
      const { type: parameterType, text: parameterText } = (parameter ?? {}) as { type?: unknown; text?: unknown };
      if (typeof parameterType !== 'string') return `template.components[${index}].parameters[${p}].type is required`;
      if (parameterType === 'text' && (typeof parameterText !== 'string' || parameterText === '')) {
        return `template.components[${index}].parameters[${p}].text is required`;
      }
    }
    counts[type] += (parameters ?? []).length;
  }
  return counts;
}
