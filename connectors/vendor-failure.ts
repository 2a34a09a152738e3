import { ApplicationFailure } from '@temporalio/common';
import { redactPhoneNumbers } from '../privacy/redact-phone-numbers.ts';

/**
 * Turns a vendor's HTTP answer into the failure Temporal should see. Connectors never retry on their own
 * (design rule 3): a throttle or server error is retryable, with the server's wait as the next delay;
 * anything else (auth, validation) will not get better by retrying and fails for good.
 */
export function vendorFailure(
  vendor: string,
  status: number,
  body: string,
  retryAfterMs?: number,
): ApplicationFailure {
  const message = `${vendor} answered HTTP ${status}: ${redactPhoneNumbers(body.slice(0, 500))}`;
  if (status === 429 || status >= 500) {
    return ApplicationFailure.create({
      type: `${vendor}Unavailable`,
      message,
      nonRetryable: false,
      nextRetryDelay: retryAfterMs,
    });
  }
  return ApplicationFailure.create({ type: `${vendor}Rejected`, message, nonRetryable: true });
}

/** `Retry-After` in seconds (the only form these vendors send), as milliseconds. */
export function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

/**
 * A send whose answer never came (a timeout, a dropped connection): the vendor may have taken it. Retryable, but a
 * caller that must not send twice keeps the send as unconfirmed and lets the delivery receipt decide.
 */
export function unansweredSend(vendor: string, reason: string): ApplicationFailure {
  return ApplicationFailure.create({ type: `${vendor}Unanswered`, message: `${vendor} send: ${reason}`, nonRetryable: false });
}

export function isUnansweredSend(failure: unknown): boolean {
  return failure instanceof ApplicationFailure && failure.type?.endsWith('Unanswered') === true;
}
