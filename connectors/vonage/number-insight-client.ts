import { ApplicationFailure } from '@temporalio/common';
import type { RateLimit } from '../../activities/extract/request-budget.ts';
import { redactPhoneNumbers } from '../../privacy/redact-phone-numbers.ts';
import type { CarrierAnswer, CarrierLookup } from '../carrier-lookup.ts';
import { SlidingWindowLimit } from '../sliding-window-limit.ts';
import { retryAfterMs, vendorFailure } from '../vendor-failure.ts';

/**
 * Vonage publishes no Number Insight rate (its status 1 says only "more requests in the last second than are
 * permitted by your account"); 30 per second, its SMS default, is the assumed one until an account says otherwise.
 */
export const VONAGE_INSIGHT_RATE: RateLimit = { requests: 30, intervalMs: 1000 };

export interface VonageNumberInsightSettings {
  /** `https://api.nexmo.com`, or an emulator's URL. */
  baseUrl: string;
  apiKey: string;
  apiSecret: string;
  /** Shared by every lookup through this client. Default VONAGE_INSIGHT_RATE. */
  rate?: RateLimit;
  /** How long one lookup may take; Vonage answers within 15 s at worst. Default 30 s. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const THROTTLE_DELAY_MS = 1000;
/** As in the SMS client: the window is kept wider than Vonage's so the arrivals stay inside it too. */
const ARRIVAL_HEADROOM_MS = 100;
const E164 = /^\+\d{7,15}$/;

/** Answers with what Vonage found: 43 to 45 mean the live mobile lookup did not answer, the rest still holds. */
const ANSWERED = [0, 43, 44, 45];
// 3 is "Invalid request": the number is the only parameter sent, so it is the number Vonage found invalid.
const INVALID_NUMBER = 3;
/** Busy (throttled) and Vonage's internal error: worth asking again. */
const PASSING: Record<number, string> = { 1: 'Busy', 5: 'Internal Error' };

const LINE_TYPES: Record<string, CarrierAnswer['lineType']> = {
  mobile: 'mobile',
  landline: 'fixed',
  // A premium-rate number is a landline to Vonage, and no app can be installed behind it.
  landline_premium: 'fixed',
  landline_tollfree: 'toll_free',
  virtual: 'voip',
  // A pager receives no app either: for reachability it counts as a fixed line.
  pager: 'fixed',
  unknown: 'unknown',
};

interface StandardAnswer {
  status?: number | string;
  status_message?: string;
  country_code?: string;
  current_carrier?: { name?: string | null; country?: string | null; network_type?: string | null } | null;
  ported?: string | null;
}

/**
 * Vonage Number Insight Standard (`GET /ni/standard/json`) as a CarrierLookup: one request per number, paced
 * under the account's rate by one window shared by every caller of this client, failures classified for Temporal.
 * Credentials go in a Basic header (which the current API reference documents) rather than the query, so
 * they stay out of any URL that gets logged.
 */
export function createVonageNumberInsightClient(settings: VonageNumberInsightSettings): CarrierLookup {
  const endpoint = `${settings.baseUrl.replace(/\/+$/, '')}/ni/standard/json`;
  const timeoutMs = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const rate = settings.rate ?? VONAGE_INSIGHT_RATE;
  const limit = new SlidingWindowLimit({ requests: rate.requests, intervalMs: rate.intervalMs + ARRIVAL_HEADROOM_MS, name: 'vonage-number-insight' });
  const authorization = `Basic ${Buffer.from(`${settings.apiKey}:${settings.apiSecret}`).toString('base64')}`;

  return {
    async lookup(e164) {
      if (!E164.test(e164)) {
        throw ApplicationFailure.create({ type: 'VonageQueryInvalid', message: 'the number is not E.164 (+ and 7 to 15 digits)', nonRetryable: true });
      }
      await limit.take();
      let response: Response;
      let body: string;
      try {
        response = await fetch(`${endpoint}?number=${e164.slice(1)}`, {
          headers: { authorization, accept: 'application/json' },
          signal: AbortSignal.timeout(timeoutMs),
        });
        body = await response.text();
      } catch (error) {
        const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
        const reason = timedOut ? `no answer within ${timeoutMs} ms` : `the connection failed (${(error as Error).message ?? String(error)})`;
        throw ApplicationFailure.create({ type: 'VonageUnavailable', message: `Vonage GET /ni/standard/json: ${reason}`, nonRetryable: false });
      }
      if (!response.ok) {
        const wait = retryAfterMs(response.headers.get('retry-after')) ?? (response.status === 429 ? THROTTLE_DELAY_MS : undefined);
        throw vendorFailure('Vonage', response.status, body, wait);
      }
      return carrierAnswer(body);
    },
  };
}

function carrierAnswer(body: string): CarrierAnswer {
  let answer: StandardAnswer;
  try {
    answer = JSON.parse(body) as StandardAnswer;
  } catch {
    throw ApplicationFailure.retryable('Vonage answered GET /ni/standard/json with a body that is not JSON', 'VonageUnavailable');
  }
  const status = Number(answer.status);
  if (status === INVALID_NUMBER) return { lineType: 'invalid' };
  if (!ANSWERED.includes(status)) {
    const message = `Vonage Number Insight answered status ${String(answer.status)}: ${redactPhoneNumbers(String(answer.status_message ?? PASSING[status] ?? 'no status_message'))}`;
    if (status in PASSING) {
      throw ApplicationFailure.create({ type: 'VonageUnavailable', message, nonRetryable: false, nextRetryDelay: THROTTLE_DELAY_MS });
    }
    throw ApplicationFailure.create({ type: 'VonageRejected', message, nonRetryable: true });
  }
  const carrier = answer.current_carrier ?? undefined;
  const result: CarrierAnswer = { lineType: LINE_TYPES[carrier?.network_type ?? 'unknown'] ?? 'unknown' };
  if (typeof carrier?.name === 'string' && carrier.name !== '') result.carrier = carrier.name;
  const country = carrier?.country ?? answer.country_code;
  if (typeof country === 'string' && country !== '') result.country = country;
  if (answer.ported === 'ported' || answer.ported === 'assumed_ported') result.ported = true;
  if (answer.ported === 'not_ported' || answer.ported === 'assumed_not_ported') result.ported = false;
  return result;
}
