import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InboundEvents } from '../../activities/opt-in/inbound-events.ts';
import { redactPhoneNumbers } from '../../privacy/redact-phone-numbers.ts';
import { processLog } from '../../privacy/structured-log.ts';
import { reportWebhookEvent } from '../../metrics/webhook-events.ts';
import { answer, bodyWithin } from '../webhook-request.ts';
import { parseWhatsAppWebhook, type TemplateStatusUpdate, type WhatsAppNotification } from './cloud-webhook.ts';
import { isWhatsAppSignatureValid } from './webhook-signature.ts';

export interface WhatsAppWebhookRouteOptions {
  /** The Meta app's secret, which keys `X-Hub-Signature-256`. */
  appSecret: string;
  /** The token entered with the callback URL in the app dashboard, echoed by Meta's verification request. */
  verifyToken: string;
  events: InboundEvents;
  /** Where template review decisions go (the approval workflow). Without it they are acknowledged and dropped. */
  templateStatuses?: (updates: TemplateStatusUpdate[]) => Promise<void>;
}

/** Far above any batch Meta sends; a larger body is not Meta. */
export const WHATSAPP_WEBHOOK_BODY_LIMIT = 1024 * 1024;

/**
 * The route Meta calls for the WhatsApp `messages` and `message_template_status_update` fields. GET is the
 * subscription handshake; POST carries statuses, customers' messages and template decisions, signed: the signature is checked on the raw bytes before anything is
 * parsed or recorded. Everything recorded (or recorded before: the events are idempotent) is answered 200;
 * when recording fails the answer is 500, and Meta delivers the notification again.
 */
export function whatsAppWebhookRoute({ appSecret, verifyToken, events, templateStatuses }: WhatsAppWebhookRouteOptions): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  return async (request, response) => {
    if (request.method === 'GET') return verify(request, response, verifyToken);
    if (request.method !== 'POST') return answer(response, 405, 'WhatsApp webhooks are GET (verification) or POST', { allow: 'GET, POST' });

    const rawBody = await bodyWithin(request, WHATSAPP_WEBHOOK_BODY_LIMIT);
    if (rawBody === 'too large') {
      return answer(response, 413, `a notification is at most ${WHATSAPP_WEBHOOK_BODY_LIMIT} bytes`, { connection: 'close' });
    }
    if (rawBody === 'aborted') return;
    const signature = request.headers['x-hub-signature-256'];
    if (!isWhatsAppSignatureValid(rawBody, typeof signature === 'string' ? signature : undefined, appSecret)) {
      reportWebhookEvent('whatsapp', 'unknown', signature === undefined ? 'missing' : 'invalid');
      return answer(response, 401, 'X-Hub-Signature-256 is missing or does not sign this body');
    }
    let notification: WhatsAppNotification;
    try {
      notification = parseWhatsAppWebhook(JSON.parse(rawBody.toString('utf8')));
    } catch (error) {
      reportWebhookEvent('whatsapp', 'unknown', 'valid');
      // JSON.parse quotes the text around a syntax error, which may hold a number.
      return answer(response, 400, redactPhoneNumbers(error instanceof Error ? error.message : String(error)));
    }
    // Meta batches events: each status, message and template decision counts as one.
    const kinds = { status: notification.statuses.length, message: notification.messages.length, template_status: notification.templateStatuses.length };
    for (const [type, count] of Object.entries(kinds)) if (count > 0) reportWebhookEvent('whatsapp', type, 'valid', count);
    if (Object.values(kinds).every((count) => count === 0)) reportWebhookEvent('whatsapp', 'other', 'valid');
    try {
      // Handed over together, in order, so they join the same batches; each is tried even when another fails.
      const recorded = await Promise.allSettled([
        ...notification.statuses.map((status) => events.whatsAppStatus(status)),
        ...notification.messages.map(({ providerMessageId, from, text, at }) => events.message({ provider: 'whatsapp', channel: 'whatsapp', providerMessageId, from, text, at })),
      ]);
      const failed = recorded.find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
      if (notification.templateStatuses.length > 0) await templateStatuses?.(notification.templateStatuses);
    } catch (error) {
      processLog.error('WhatsApp notification not recorded; Meta will send it again', { error });
      return answer(response, 500, 'the notification could not be recorded');
    }
    response.writeHead(200).end();
  };
}

/** Meta's subscription check: echo `hub.challenge` when the mode is `subscribe` and the token is ours. */
function verify(request: IncomingMessage, response: ServerResponse, verifyToken: string): void {
  const query = new URL(request.url ?? '/', 'http://route').searchParams;
  const challenge = query.get('hub.challenge');
  if (query.get('hub.mode') !== 'subscribe' || !sameToken(query.get('hub.verify_token'), verifyToken)) {
    return answer(response, 403, 'hub.mode or hub.verify_token does not match this subscription');
  }
  if (challenge === null || challenge === '') return answer(response, 400, 'hub.challenge is missing');
  response.writeHead(200, { 'content-type': 'text/plain' }).end(challenge);
}

function sameToken(given: string | null, expected: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
