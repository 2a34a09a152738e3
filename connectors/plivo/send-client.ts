import { ApplicationFailure } from '@temporalio/common';
import type { RateLimit } from '../../activities/extract/request-budget.ts';
import { SlidingWindowLimit } from '../sliding-window-limit.ts';
import { retryAfterMs, unansweredSend, vendorFailure } from '../vendor-failure.ts';

/**
 * Plivo's default sending speed: 5 messages per second. Plivo queues what comes faster, and messages queued
 * more than 3 hours fail with error 420, so a campaign sends no faster than Plivo sends on.
 */
export const PLIVO_SEND_RATE: RateLimit = { requests: 5, intervalMs: 1000 };

export interface PlivoSendSettings {
  /** `https://api.plivo.com` in production, an emulator's URL in tests and the demo. */
  baseUrl: string;
  authId: string;
  authToken: string;
  /** Default PLIVO_SEND_RATE. */
  rate?: RateLimit;
  /** How long one request may take, answer body included. Default 30 s. */
  timeoutMs?: number;
}

export interface PlivoSms {
  /** The business's Plivo number (digits, with or without `+`) or sender id. */
  src: string;
  /** The recipient in E.164, with `+`. */
  dst: string;
  text: string;
  /** Where Plivo POSTs the message's status callbacks; our reference goes in its query (`?ref=`). */
  statusUrl?: string;
}

export interface PlivoSendClient {
  send(sms: PlivoSms): Promise<{ messageUuid: string }>;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const ARRIVAL_MARGIN_MS = 100;
const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * Sends one SMS per call through Plivo's Message API, keeping every caller of this client within `rate`.
 * It never retries: Temporal retries the failures this throws (design rule 3).
 */
export function createPlivoSendClient(settings: PlivoSendSettings): PlivoSendClient {
  const endpoint = `${settings.baseUrl.replace(/\/+$/, '')}/v1/Account/${encodeURIComponent(settings.authId)}/Message/`;
  const authorization = `Basic ${Buffer.from(`${settings.authId}:${settings.authToken}`).toString('base64')}`;
  const timeoutMs = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const rate = settings.rate ?? PLIVO_SEND_RATE;
  // Requests reach Plivo a little after they start, and not all equally late: the margin keeps Plivo's own count within the rate.
  const limit = new SlidingWindowLimit({ requests: rate.requests, intervalMs: rate.intervalMs + ARRIVAL_MARGIN_MS, name: 'plivo-sms' });

  return {
    async send({ src, dst, text, statusUrl }) {
      if (!E164.test(dst)) {
        throw ApplicationFailure.create({ type: 'PlivoSmsInvalid', message: 'dst: an E.164 number with + is required', nonRetryable: true });
      }
      const body: Record<string, string> = { src: src.replace(/^\+/, ''), dst: dst.slice(1), text };
      if (statusUrl !== undefined) Object.assign(body, { url: statusUrl, method: 'POST' });

      await limit.take();
      const signal = AbortSignal.timeout(timeoutMs);
      let status: number;
      let retryAfter: string | null;
      let answer: string;
      try {
        const response = await fetch(endpoint, {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify(body),
          signal,
        });
        status = response.status;
        retryAfter = response.headers.get('retry-after');
        answer = await response.text();
      } catch (error) {
        // Plivo may have queued the message before the answer was lost: the caller lets the status callback decide.
        if (signal.aborted) throw unansweredSend('Plivo', `no answer within ${timeoutMs} ms`);
        const reason = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
        throw unansweredSend('Plivo', `could not be reached: ${reason}`);
      }
      if (status < 200 || status >= 300) throw vendorFailure('Plivo', status, answer, retryAfterMs(retryAfter));
      return { messageUuid: messageUuidOf(answer) };
    },
  };
}

function messageUuidOf(answer: string): string {
  let uuids: unknown;
  try {
    uuids = (JSON.parse(answer) as { message_uuid?: unknown }).message_uuid;
  } catch {
    uuids = undefined;
  }
  const [uuid] = Array.isArray(uuids) ? uuids : [];
  if (typeof uuid !== 'string' || uuid === '') {
    throw ApplicationFailure.create({
      type: 'PlivoMalformedAnswer',
      message: 'Plivo accepted the message but its answer names no message_uuid',
      nonRetryable: true,
    });
  }
  return uuid;
}
