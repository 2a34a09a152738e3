import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Kysely } from 'kysely';
import type { Database } from '../../database/schema.ts';
import { redactPhoneNumbers } from '../../privacy/redact-phone-numbers.ts';
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
}

/** Viber's own requests stay under 30 KB; anything far larger is not Viber. */
export const CALLBACK_BODY_LIMIT = 64 * 1024;

/**
 * The route Viber posts callbacks to. The signature is checked on the bytes as they arrived, before parsing;
 * a callback that is kept (or was kept before) is answered 200 so Viber stops sending it, and one that could
 * not be kept for a passing reason is answered 500 so Viber sends it again. The answer to a 200 is empty:
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
      return answer(response, 403, 'X-Viber-Content-Signature is missing or does not sign this body');
    }
    let callback: ViberCallback;
    try {
      callback = parseViberCallback(parseViberJson(rawBody.toString('utf8')));
    } catch (error) {
      // JSON.parse quotes the text around a syntax error, which may hold a number.
      return answer(response, 400, redactPhoneNumbers(error instanceof Error ? error.message : String(error)));
    }
    try {
      await recordViberCallback(options.db, options.bot, callback, clock());
    } catch (error) {
      console.error(`Viber ${callback.event} callback not recorded; Viber will send it again: ${redactPhoneNumbers(String(error))}`);
      return answer(response, 500, 'the callback could not be recorded');
    }
    response.writeHead(200).end();
  };
}

/** The request's body, or 'too large' as soon as it passes `limit` bytes (without reading the rest). */
function bodyWithin(request: IncomingMessage, limit: number): Promise<Buffer | 'too large' | 'aborted'> {
  if (Number(request.headers['content-length'] ?? 0) > limit) return Promise.resolve('too large');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (outcome: Buffer | 'too large' | 'aborted') => {
      request.off('data', onData).off('end', onEnd).off('error', onAbort).off('close', onAbort);
      resolve(outcome);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return stop('too large');
      chunks.push(chunk);
    };
    const onEnd = () => stop(Buffer.concat(chunks, size));
    // 'close' before 'end': the sender went away mid-body.
    const onAbort = () => stop('aborted');
    request.on('data', onData).on('end', onEnd).on('error', onAbort).on('close', onAbort);
  });
}

function answer(response: ServerResponse, status: number, reason: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify({ error: reason }));
}
