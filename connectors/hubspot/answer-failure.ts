import { ApplicationFailure } from '@temporalio/common';
import type { Response } from 'node-fetch';
import { crmAllowanceSpent } from '../crm-contact.ts';
import { redactPhoneNumbers } from '../../privacy/redact-phone-numbers.ts';
import { retryAfterMs, vendorFailure } from '../vendor-failure.ts';
import { nextMidnight } from './next-midnight.ts';

/** HubSpot's burst window, used as the retry delay when a 429 names no better one. */
const DEFAULT_THROTTLE_DELAY_MS = 10_000;

export interface FailureContext {
  /** True when the access token was dropped and the next attempt gets a fresh one (OAuth). */
  tokenRenewable: boolean;
  /** The account's time zone, where HubSpot's daily limit resets at midnight. */
  dailyLimitTimeZone: string;
  now: () => number;
}

interface ErrorBody {
  message?: unknown;
  policyName?: unknown;
}

/** What a non-2xx answer from the CRM API means for Temporal. */
export function failureOfAnswer(response: Response, body: string, context: FailureContext): ApplicationFailure {
  const retryAfter = retryAfterMs(response.headers.get('retry-after'));
  if (response.status === 401 && context.tokenRenewable) {
    // An OAuth token can die early (revoked, clock skew); the retry asks for a new one rather than failing the sync.
    const message = `HubSpot answered HTTP 401 to an OAuth token, now dropped: ${redactPhoneNumbers(body.slice(0, 500))}`;
    return ApplicationFailure.create({ type: 'HubSpotUnavailable', message, nonRetryable: false });
  }
  if (response.status !== 429) return vendorFailure('HubSpot', response.status, body, retryAfter);
  const { message, policyName } = parsed(body);
  if (policyName === 'DAILY') {
    const resumeAt = nextMidnight(new Date(context.now()), context.dailyLimitTimeZone);
    const reason = typeof message === 'string' ? redactPhoneNumbers(message) : 'HubSpot gave no message';
    return crmAllowanceSpent('hubspot', resumeAt, `HubSpot's daily API limit is spent until midnight ${context.dailyLimitTimeZone}: ${reason}`);
  }
  // HubSpot's 429 rarely carries Retry-After; its rate-limit headers name the window to wait out instead.
  const interval = Number(response.headers.get('x-hubspot-ratelimit-interval-milliseconds') ?? Number.NaN);
  const delay = retryAfter ?? (Number.isFinite(interval) && interval > 0 ? interval : DEFAULT_THROTTLE_DELAY_MS);
  return vendorFailure('HubSpot', response.status, body, delay);
}

function parsed(body: string): ErrorBody {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null ? (value as ErrorBody) : {};
  } catch {
    return {};
  }
}
