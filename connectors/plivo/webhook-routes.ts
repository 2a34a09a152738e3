import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DeliveryReceipt, InboundEvents } from '../../activities/opt-in/inbound-events.ts';
import { processLog } from '../../privacy/structured-log.ts';
import { reportWebhookEvent } from '../../metrics/webhook-events.ts';
import { answer, bodyWithin } from '../webhook-request.ts';
import { isPlivoV2SignatureValid, isPlivoV3SignatureValid } from './webhook-signature.ts';

export interface PlivoRouteOptions {
  /** The account's auth token, which keys Plivo's signatures. */
  authToken: string;
  /**
   * The base URL registered with Plivo (`https://hooks.example.com`) when a proxy stands between Plivo and this
   * server: Plivo signs the URL it called, this plus the request's path and query. Default: `http://{Host}`.
   */
  publicUrl?: string;
  events: InboundEvents;
  clock?: () => Date;
  /**
   * Accepts callbacks signed with V2 alone, each nonce once (`firstUse` says whether it is new and remembers it).
   * Off by default: V2 signs the URL and the nonce, not the parameters, so a captured header pair would sign any
   * body, a forged STOP or YES included. Only for an account whose callbacks come without V3.
   */
  signatureV2?: { firstUse: (nonce: string) => Promise<boolean> };
}

type Route = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

/** An SMS is at most 1,600 characters; anything far larger is not Plivo. */
export const PLIVO_CALLBACK_BODY_LIMIT = 64 * 1024;

/** Plivo's message states as receipts; `queued` says nothing new, so it is not recorded. */
const RECEIPT_STATUS: Record<string, DeliveryReceipt['status'] | null> = {
  queued: null,
  sent: 'sent',
  delivered: 'delivered',
  undelivered: 'failed',
  failed: 'failed',
  rejected: 'failed',
};

/** The message URL of the business's Plivo application: a customer's SMS to the business's number. */
export function plivoInboundMessageRoute(options: PlivoRouteOptions): Route {
  const clock = options.clock ?? (() => new Date());
  return async (request, response) => {
    const form = await verifiedForm(request, response, options, 'inbound');
    if (form === undefined) return;
    const from = form.get('From');
    const text = form.get('Text');
    const messageUuid = form.get('MessageUUID');
    if (!from || text === null || !messageUuid) return answer(response, 400, 'From, Text and MessageUUID are required');
    await hand(response, 'inbound message', () =>
      options.events.message({
        provider: 'plivo',
        providerMessageId: messageUuid,
        channel: 'sms',
        from: `+${from.replace(/^\+/, '')}`,
        text,
        at: clock(),
      }),
    );
  };
}

/** The `url` given with each message sent: Plivo's status callbacks, with our reference in the URL's `ref` query. */
export function plivoStatusRoute(options: PlivoRouteOptions): Route {
  const clock = options.clock ?? (() => new Date());
  return async (request, response) => {
    const form = await verifiedForm(request, response, options, 'status');
    if (form === undefined) return;
    const messageUuid = form.get('MessageUUID');
    const to = form.get('To');
    const state = form.get('Status');
    if (!messageUuid || !to || !state) return answer(response, 400, 'MessageUUID, To and Status are required');
    const status = RECEIPT_STATUS[state];
    // A state this does not know (Plivo adds some for other channels) will not become known by being sent again.
    if (!status) return void response.writeHead(200).end();
    const reference = new URL(request.url ?? '/', 'http://callback').searchParams.get('ref');
    await hand(response, 'status callback', () =>
      options.events.receipt({
        provider: 'plivo',
        providerMessageId: messageUuid,
        ...(reference === null ? {} : { reference }),
        recipient: `+${to.replace(/^\+/, '')}`,
        status,
        at: clock(),
      }),
    );
  };
}

/**
 * The callback's form once its signature is checked: V3 (URL, query and form parameters), Plivo's documented scheme;
 * V2 (URL and nonce only) when the operator accepts it, each nonce once. Undefined when the request was answered
 * here (not a POST, too large, unsigned, or signed with a V2 nonce seen before).
 */
async function verifiedForm(request: IncomingMessage, response: ServerResponse, options: PlivoRouteOptions, type: string): Promise<URLSearchParams | undefined> {
  if (request.method !== 'POST') {
    answer(response, 405, 'Plivo callbacks are POSTed', { allow: 'POST' });
    return undefined;
  }
  const rawBody = await bodyWithin(request, PLIVO_CALLBACK_BODY_LIMIT);
  if (rawBody === 'too large') {
    answer(response, 413, `a callback body is at most ${PLIVO_CALLBACK_BODY_LIMIT} bytes`, { connection: 'close' });
    return undefined;
  }
  if (rawBody === 'aborted') return undefined;
  const form = new URLSearchParams(rawBody.toString('utf8'));
  const url = `${options.publicUrl?.replace(/\/+$/, '') ?? `http://${request.headers.host ?? ''}`}${request.url ?? '/'}`;
  const header = (name: string) => {
    const value = request.headers[name];
    return typeof value === 'string' ? value : undefined;
  };
  const v3 = isPlivoV3SignatureValid({
    url,
    params: form,
    nonce: header('x-plivo-signature-v3-nonce'),
    signatures: header('x-plivo-signature-v3'),
    authToken: options.authToken,
  });
  const v2Nonce = header('x-plivo-signature-v2-nonce');
  const v2 =
    !v3 &&
    options.signatureV2 !== undefined &&
    isPlivoV2SignatureValid({ url, nonce: v2Nonce, signature: header('x-plivo-signature-v2'), authToken: options.authToken });
  const unsigned = header('x-plivo-signature-v3') === undefined && header('x-plivo-signature-v2') === undefined;
  reportWebhookEvent('plivo', type, unsigned ? 'missing' : v3 || v2 ? 'valid' : 'invalid');
  if (!v3 && !v2) {
    answer(response, 401, options.signatureV2 ? 'X-Plivo-Signature-V3 (or -V2) is missing or does not sign this request' : 'X-Plivo-Signature-V3 is missing or does not sign this request');
    return undefined;
  }
  if (v2 && !(await options.signatureV2!.firstUse(v2Nonce!))) {
    answer(response, 401, 'X-Plivo-Signature-V2-Nonce was used before: a V2 signature is accepted once');
    return undefined;
  }
  return form;
}

/** Hands the event over; a throw is answered 500 so Plivo sends the callback again. */
async function hand(response: ServerResponse, what: string, record: () => Promise<void>): Promise<void> {
  try {
    await record();
  } catch (error) {
    processLog.error(`Plivo ${what} not recorded; Plivo will send it again`, { error });
    return answer(response, 500, 'the callback could not be recorded');
  }
  response.writeHead(200).end();
}
