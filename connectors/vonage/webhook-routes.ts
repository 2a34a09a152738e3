import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DeliveryReceipt, InboundEvents, InboundMessage } from '../../activities/opt-in/inbound-events.ts';
import { processLog } from '../../privacy/structured-log.ts';
import { reportWebhookEvent } from '../../metrics/webhook-events.ts';
import { answer, bodyWithin } from '../webhook-request.ts';
import { parseVonageTime } from './vonage-time.ts';
import { isVonageSignatureValid, type VonageSignatureMethod } from './webhook-signature.ts';

export interface VonageWebhookOptions {
  /** The account's signature secret (Dashboard → API settings), which keys the webhooks' `sig`. */
  signatureSecret: string;
  signatureMethod: VonageSignatureMethod;
  events: InboundEvents;
  clock?: () => Date;
}

type Route = (request: IncomingMessage, response: ServerResponse) => Promise<void>;
type Params = Record<string, string>;

/** An inbound SMS or a receipt is a few hundred bytes; anything far larger is not Vonage. */
export const WEBHOOK_BODY_LIMIT = 64 * 1024;

/** Vonage resends an unanswered webhook for 24 hours; the parts of a message never come further apart. */
const PART_LIFETIME_MS = 24 * 60 * 60 * 1000;
const MSISDN = /^\d{7,15}$/;
const MESSAGE_TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

/** Vonage's DLR statuses (nexmo-sms.yml DeliveryReceipt) in the product's words; `unknown` gives no verdict. */
const RECEIPT_STATUSES: Record<string, DeliveryReceipt['status']> = {
  delivered: 'delivered',
  expired: 'failed',
  failed: 'failed',
  rejected: 'failed',
  accepted: 'sent',
  buffered: 'sent',
  unknown: 'sent',
};

interface Part {
  messageId: string;
  text: string;
  at: Date;
}

interface PartsOfOneMessage {
  total: number;
  parts: Map<number, Part>;
  lastArrival: number;
}

/**
 * The route Vonage sends inbound SMS to (GET query, form POST or JSON POST). A message Vonage delivers in parts
 * (`concat=true`) is recorded once, when its last part arrives, as the parts' texts joined in order under the
 * first part's id. The parts wait in this route's memory: a restart, or parts spread over several instances
 * of the product, loses a message's earlier parts.
 */
export function vonageInboundSmsRoute(options: VonageWebhookOptions): Route {
  const clock = options.clock ?? (() => new Date());
  /** Parts by sender, our number and `concat-ref` (a phone numbers its long messages 0 to 255, over and over). */
  const waiting = new Map<string, PartsOfOneMessage>();

  return async (request, response) => {
    const params = await signedParams(request, response, options.signatureSecret, options.signatureMethod, clock(), 'inbound');
    if (params === undefined) return;
    // A binary message (a ringtone, a vCard) carries no text a customer typed; answered so Vonage stops sending it.
    if (params.type === 'binary') return void response.writeHead(204).end();
    const { msisdn, messageId, text } = params;
    const at = vonageTimestamp(params['message-timestamp']);
    if (msisdn === undefined || !MSISDN.test(msisdn)) return answer(response, 400, 'msisdn is missing or not a number');
    if (messageId === undefined || messageId === '') return answer(response, 400, 'messageId is missing');
    if (text === undefined) return answer(response, 400, 'text is missing');
    if (at === undefined) return answer(response, 400, 'message-timestamp is missing or not YYYY-MM-DD HH:MM:SS');

    let message: InboundMessage = { provider: 'vonage', providerMessageId: messageId, channel: 'sms', from: `+${msisdn}`, text, at };
    let key: string | undefined;
    if (params.concat === 'true') {
      const total = Number(params['concat-total']);
      const number = Number(params['concat-part']);
      const ref = params['concat-ref'];
      if (!Number.isInteger(total) || total < 1 || !Number.isInteger(number) || number < 1 || number > total || ref === undefined) {
        return answer(response, 400, 'concat-ref, concat-total and concat-part do not describe a part');
      }
      const now = clock().getTime();
      for (const [other, entry] of waiting) if (entry.lastArrival < now - PART_LIFETIME_MS) waiting.delete(other);
      key = `${msisdn} ${params.to ?? ''} ${ref} ${total}`;
      const entry = waiting.get(key) ?? { total, parts: new Map<number, Part>(), lastArrival: now };
      entry.parts.set(number, { messageId, text, at });
      entry.lastArrival = now;
      waiting.set(key, entry);
      if (entry.parts.size < total) return void response.writeHead(204).end();
      const parts = [...entry.parts.entries()].sort(([a], [b]) => a - b).map(([, part]) => part);
      message = { ...message, providerMessageId: parts[0]!.messageId, text: parts.map((part) => part.text).join(''), at: parts[0]!.at };
    }

    if (!(await recorded(response, 'inbound SMS', () => options.events.message(message)))) return;
    if (key !== undefined) waiting.delete(key);
    response.writeHead(204).end();
  };
}

/** The route Vonage sends delivery receipts (DLRs) to: one per part of each SMS we sent, with our client-ref. */
export function vonageDeliveryReceiptRoute(options: VonageWebhookOptions): Route {
  const clock = options.clock ?? (() => new Date());
  return async (request, response) => {
    const params = await signedParams(request, response, options.signatureSecret, options.signatureMethod, clock(), 'delivery-receipt');
    if (params === undefined) return;
    const { msisdn, messageId } = params;
    const status = RECEIPT_STATUSES[params.status ?? ''];
    const at = vonageTimestamp(params['message-timestamp']);
    if (msisdn === undefined || !MSISDN.test(msisdn)) return answer(response, 400, 'msisdn is missing or not a number');
    if (messageId === undefined || messageId === '') return answer(response, 400, 'messageId is missing');
    if (status === undefined) return answer(response, 400, `status ${JSON.stringify(params.status)} is not a Vonage DLR status`);
    if (at === undefined) return answer(response, 400, 'message-timestamp is missing or not YYYY-MM-DD HH:MM:SS');
    const reference = params['client-ref'];
    const receipt: DeliveryReceipt = {
      provider: 'vonage',
      providerMessageId: messageId,
      ...(reference === undefined || reference === '' ? {} : { reference }),
      recipient: `+${msisdn}`,
      status,
      at,
    };
    if (!(await recorded(response, 'delivery receipt', () => options.events.receipt(receipt)))) return;
    response.writeHead(204).end();
  };
}

/**
 * The webhook's parameters (query and body, the first of a repeated name kept) once their signature is checked,
 * or undefined when the request has been answered already. Vonage signs the parameters, not the body's bytes,
 * so the body is read raw, parsed, and only then checked: nothing reaches the events before that.
 */
async function signedParams(
  request: IncomingMessage,
  response: ServerResponse,
  secret: string,
  method: VonageSignatureMethod,
  now: Date,
  /** The route's event type, for the webhook metrics. */
  type: string,
): Promise<Params | undefined> {
  if (request.method !== 'GET' && request.method !== 'POST') {
    answer(response, 405, 'Vonage webhooks are GET or POST', { allow: 'GET, POST' });
    return undefined;
  }
  const rawBody = await bodyWithin(request, WEBHOOK_BODY_LIMIT);
  if (rawBody === 'too large') {
    answer(response, 413, `a webhook body is at most ${WEBHOOK_BODY_LIMIT} bytes`, { connection: 'close' });
    return undefined;
  }
  if (rawBody === 'aborted') return undefined;
  const params: Params = {};
  const add = (name: string, value: string) => {
    if (!(name in params)) params[name] = value;
  };
  for (const [name, value] of new URL(request.url ?? '/', 'http://route').searchParams) add(name, value);
  const body = bodyParams(rawBody.toString('utf8'), request.headers['content-type'] ?? '');
  if (body === undefined) {
    answer(response, 400, 'the body is neither a form nor a JSON object');
    return undefined;
  }
  for (const [name, value] of body) add(name, value);
  const signature = params.sig === undefined ? 'missing' : isVonageSignatureValid(params, secret, method, now) ? 'valid' : 'invalid';
  reportWebhookEvent('vonage', type, signature);
  if (signature !== 'valid') {
    answer(response, 401, 'sig is missing, does not sign these parameters, or its timestamp is more than 5 minutes off');
    return undefined;
  }
  return params;
}

function bodyParams(text: string, contentType: string): [string, string][] | undefined {
  if (!/^application\/json\b/i.test(contentType)) return [...new URLSearchParams(text)];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  // Vonage signs every value as text, so numbers and booleans are read back as the text they were.
  return Object.entries(parsed)
    .filter(([, value]) => typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    .map(([name, value]) => [name, String(value)]);
}

/** `message-timestamp`: UTC, `YYYY-MM-DD HH:MM:SS`. */
function vonageTimestamp(text: string | undefined): Date | undefined {
  if (text === undefined || !MESSAGE_TIMESTAMP.test(text)) return undefined;
  return parseVonageTime(text) ?? undefined;
}

/** Runs the recording; when it throws, answers 500 so Vonage sends the webhook again, and says false. */
async function recorded(response: ServerResponse, what: string, record: () => Promise<void>): Promise<boolean> {
  try {
    await record();
    return true;
  } catch (error) {
    processLog.error(`Vonage ${what} not recorded; Vonage will send it again`, { error });
    answer(response, 500, `the ${what} could not be recorded`);
    return false;
  }
}
