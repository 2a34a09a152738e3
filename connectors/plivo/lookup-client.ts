import { ApplicationFailure } from '@temporalio/common';
import type { RateLimit } from '../../activities/extract/request-budget.ts';
import type { CarrierAnswer, CarrierLookup } from '../carrier-lookup.ts';
import { SlidingWindowLimit } from '../sliding-window-limit.ts';
import { retryAfterMs, vendorFailure } from '../vendor-failure.ts';

/** Plivo's account API limit, which Lookup counts against: 300 requests per 5 seconds. */
export const PLIVO_LOOKUP_RATE: RateLimit = { requests: 300, intervalMs: 5000 };

/** Plivo's error code for a number it determined does not exist (HTTP 404). */
export const PLIVO_INVALID_NUMBER = 20404;

export interface PlivoLookupSettings {
  /** `https://lookup.plivo.com` in production, an emulator's URL in tests and the demo. */
  baseUrl: string;
  authId: string;
  authToken: string;
  /** Default PLIVO_LOOKUP_RATE. */
  rate?: RateLimit;
  /** How long one request may take, answer body included. Default 30 s. */
  timeoutMs?: number;
}

/** Plivo's `carrier.type` in our vocabulary. */
const LINE_TYPES: Record<string, CarrierAnswer['lineType']> = {
  mobile: 'mobile',
  fixed: 'fixed',
  voip: 'voip',
  'toll-free': 'toll_free',
  unknown: 'unknown',
};

const DEFAULT_TIMEOUT_MS = 30_000;
const ARRIVAL_MARGIN_MS = 100;
const E164 = /^\+[1-9]\d{6,14}$/;

interface LookupAnswer {
  country?: { iso2?: unknown };
  carrier?: { name?: unknown; type?: unknown; ported?: unknown };
}

/** Plivo's carrier lookup (`GET /v1/Number/{E.164}?type=carrier`), one number per call, within `rate` for every caller of this client. */
export function createPlivoLookupClient(settings: PlivoLookupSettings): CarrierLookup {
  const base = settings.baseUrl.replace(/\/+$/, '');
  const authorization = `Basic ${Buffer.from(`${settings.authId}:${settings.authToken}`).toString('base64')}`;
  const timeoutMs = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const rate = settings.rate ?? PLIVO_LOOKUP_RATE;
  // Requests reach Plivo a little after they start, and not all equally late: the margin keeps Plivo's own count within the rate.
  const limit = new SlidingWindowLimit({ requests: rate.requests, intervalMs: rate.intervalMs + ARRIVAL_MARGIN_MS, name: 'plivo-lookup' });

  return {
    async lookup(e164) {
      if (!E164.test(e164)) {
        throw ApplicationFailure.create({ type: 'PlivoLookupInvalid', message: 'an E.164 number with + is required', nonRetryable: true });
      }
      await limit.take();
      // The `+` stays as it is in the path, as Plivo's SDKs write it.
      const url = `${base}/v1/Number/${e164}?type=carrier`;
      const signal = AbortSignal.timeout(timeoutMs);
      let status: number;
      let retryAfter: string | null;
      let body: string;
      try {
        const response = await fetch(url, { headers: { authorization, accept: 'application/json' }, signal });
        status = response.status;
        retryAfter = response.headers.get('retry-after');
        body = await response.text();
      } catch (error) {
        if (signal.aborted) {
          throw ApplicationFailure.create({ type: 'PlivoUnavailable', message: `Plivo did not answer the lookup within ${timeoutMs} ms`, nonRetryable: false });
        }
        const reason = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
        throw ApplicationFailure.create({ type: 'PlivoUnavailable', message: `Plivo could not be reached: ${reason}`, nonRetryable: false });
      }
      if (status === 404 && errorCodeOf(body) === PLIVO_INVALID_NUMBER) return { lineType: 'invalid' };
      if (status !== 200) throw vendorFailure('Plivo', status, body, retryAfterMs(retryAfter));
      return carrierAnswerOf(body);
    },
  };
}

function errorCodeOf(body: string): unknown {
  try {
    return (JSON.parse(body) as { error_code?: unknown }).error_code;
  } catch {
    return undefined;
  }
}

function carrierAnswerOf(body: string): CarrierAnswer {
  let answer: LookupAnswer;
  try {
    answer = JSON.parse(body) as LookupAnswer;
  } catch {
    throw malformed('its body is not JSON');
  }
  const type = answer.carrier?.type;
  if (typeof type !== 'string') throw malformed('carrier.type is missing');
  const result: CarrierAnswer = { lineType: LINE_TYPES[type] ?? 'unknown' };
  const { name, ported } = answer.carrier!;
  if (typeof name === 'string' && name !== '') result.carrier = name;
  // Plivo documents "yes" | "no" | "unknown"; older answers carried a boolean.
  if (ported === 'yes' || ported === true) result.ported = true;
  if (ported === 'no' || ported === false) result.ported = false;
  const country = answer.country?.iso2;
  if (typeof country === 'string' && /^[A-Za-z]{2}$/.test(country)) result.country = country.toUpperCase();
  return result;
}

function malformed(reason: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'PlivoMalformedAnswer',
    message: `Plivo answered the lookup with HTTP 200 but ${reason}`,
    nonRetryable: true,
  });
}
