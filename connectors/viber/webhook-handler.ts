import type { IncomingMessage, ServerResponse } from 'node:http';
import { answer, bodyWithin } from '../webhook-request.ts';
import { reportWebhookEvent } from '../../metrics/webhook-events.ts';
import type { Kysely } from 'kysely';
import type { Database } from '../../database/schema.ts';
import type { InboundEvents } from '../../activities/opt-in/inbound-events.ts';
import { redactPhoneNumbers } from '../../privacy/redact-phone-numbers.ts';
import { processLog } from '../../privacy/structured-log.ts';
import { parseViberCallback, parseViberJson, type ViberCallback } from './callbacks.ts';
import { isViberSignatureValid } from './content-signature.ts';
import { recordViberCallback } from './subscriber-book.ts';

export interface ViberWebhookOptions {
  db: Kysely<Database>;
  /** The name the bot's subscribers are kept under (the worker's VIBER_BOT). */
  bot: string;
  /** The bot's auth token, which keys the callbacks' signatures. */
  authToken: string;
  clock?: () => Date;
  /** Where customers' replies and the receipts of the bot's messages go, once the callback is recorded. */
  events?: InboundEvents;
}

/** Viber's own requests stay under 30 KB; anything far larger is not Viber. */
export const CALLBACK_BODY_LIMIT = 64 * 1024;

/**
 * The route Viber posts callbacks to. The signature is checked on the bytes as they arrived, before parsing;
 * a callback that is kept (or was kept before) is answered 200 so Viber stops sending it, and one that could
 * not be kept for a passing reason, or not handed over to `events`, is answered 500 so Viber sends it again (a
 * callback recorded before is handed over again, since the hand-over may be what failed). The answer to a 200 is empty:
 * Viber would send a body answering `conversation_started` to the user as a welcome message.
 */
export function viberWebhookHandler(options: ViberWebhookOptions): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  const clock = options.clock ?? (() => new Date());
  return async (request, response) => {
    if (request.method !== 'POST') return answer(response, 405, 'Viber callbacks are POSTed', { allow: 'POST' });
    const rawBody = await bodyWithin(request, CALLBACK_BODY_LIMIT);
    if (rawBody === 'too large') {
      return answer(response, 413, `a callback body is at most ${CALLBACK_BODY_LIMIT} bytes`, { connection: 'close' });
    }
    if (rawBody === 'aborted') return;
    const signature = request.headers['x-viber-content-signature'];
    if (!isViberSignatureValid(rawBody, typeof signature === 'string' ? signature : undefined, options.authToken)) {
      reportWebhookEvent('viber', 'unknown', signature === undefined ? 'missing' : 'invalid');
      return answer(response, 403, 'X-Viber-Content-Signature is missing or does not sign this body');
    }
    let callback: ViberCallback;
    try {
      callback = parseViberCallback(parseViberJson(rawBody.toString('utf8')));
    } catch (error) {
      reportWebhookEvent('viber', 'unknown', 'valid');
      // JSON.parse quotes the text around a syntax error, which may hold a number.
      return answer(response, 400, redactPhoneNumbers(error instanceof Error ? error.message : String(error)));
    }
    reportWebhookEvent('viber', callback.event, 'valid');
    try {
      await recordViberCallback(options.db, options.bot, callback, clock());
    } catch (error) {
      processLog.error(`Viber ${callback.event} callback not recorded; Viber will send it again`, { error });
      return answer(response, 500, 'the callback could not be recorded');
    }
    if (options.events !== undefined) {
      try {
        await handOver(options.events, callback);
      } catch (error) {
        processLog.error(`Viber ${callback.event} callback not handed over; Viber will send it again`, { error });
        return answer(response, 500, 'the callback could not be handed over');
      }
    }
    response.writeHead(200).end();
  };
}

/** What the opt-in campaign learns from a callback: a customer's text, or what became of a message the bot sent. */
async function handOver(events: InboundEvents, callback: ViberCallback): Promise<void> {
  const at = new Date(callback.timestamp);
  switch (callback.event) {
    case 'message': {
      // A contact message is the share-phone button's doing, and a picture or sticker carries no answer to read.
      const { type, text } = callback.message;
      if (type !== 'text' || typeof text !== 'string') return;
      return events.message({ provider: 'viber', providerMessageId: callback.message_token, channel: 'viber', from: callback.sender.id, text, at });
    }
    case 'delivered':
    case 'seen':
    case 'failed':
      return events.receipt({
        provider: 'viber',
        providerMessageId: callback.message_token,
        recipient: callback.user_id,
        status: callback.event === 'delivered' ? 'delivered' : callback.event === 'seen' ? 'read' : 'failed',
        at,
      });
    default:
      return;
  }
}
