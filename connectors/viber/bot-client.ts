import { ApplicationFailure } from '@temporalio/common';
import { redactPhoneNumbers } from '../../privacy/redact-phone-numbers.ts';
import { retryAfterMs, vendorFailure } from '../vendor-failure.ts';

export interface ViberBotSettings {
  /** `https://chatapi.viber.com/pa` in production, an emulator's URL in tests and the demo. */
  baseUrl: string;
  /** The bot's auth token, sent as `X-Viber-Auth-Token`. */
  authToken: string;
  /** How long one request may take, answer body included. Default 30 s. */
  timeoutMs?: number;
}

/** What `get_user_details` tells about a user; Viber never tells a phone number. */
export interface ViberUserDetails {
  id: string;
  name: string | null;
  country: string | null;
  language: string | null;
}

export interface ViberBotClient {
  /**
   * 'limit-reached': Viber allows two calls per user per 12 hours and this one was refused.
   * 'unknown-user': Viber has no such user for this bot.
   */
  getUserDetails(userId: string): Promise<ViberUserDetails | 'limit-reached' | 'unknown-user'>;
}

/** The statuses (Viber's error codes) that Viber answers with HTTP 200, which this client tells apart. */
const STATUS = {
  ok: 0,
  invalidAuthToken: 2,
  badData: 3,
  receiverNotRegistered: 5,
  receiverNotSubscribed: 6,
  tooManyRequests: 12,
} as const;

/** The request carries nothing but the user's id, so each of these says Viber cannot describe that user. */
const UNKNOWN_USER_STATUSES: readonly number[] = [STATUS.badData, STATUS.receiverNotRegistered, STATUS.receiverNotSubscribed];

const DEFAULT_TIMEOUT_MS = 30_000;

interface UserDetailsAnswer {
  status?: unknown;
  status_message?: unknown;
  user?: { id?: unknown; name?: unknown; country?: unknown; language?: unknown };
}

/**
 * The bot's side of Viber's Chat API. It neither retries nor counts calls: the caller keeps Viber's allowance
 * (`takeUserDetailsCall`), and Temporal retries the failures this throws (design rule 3).
 */
export function createViberBotClient(settings: ViberBotSettings): ViberBotClient {
  const endpoint = `${settings.baseUrl.replace(/\/+$/, '')}/get_user_details`;
  const timeoutMs = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  return {
    async getUserDetails(userId) {
      const signal = AbortSignal.timeout(timeoutMs);
      let status: number;
      let retryAfter: string | null;
      let body: string;
      try {
        const response = await fetch(endpoint, {
          method: 'POST',
          headers: { 'x-viber-auth-token': settings.authToken, 'content-type': 'application/json' },
          body: JSON.stringify({ id: userId }),
          signal,
        });
        status = response.status;
        retryAfter = response.headers.get('retry-after');
        body = await response.text();
      } catch (error) {
        if (signal.aborted) throw unavailable(`Viber did not answer get_user_details within ${timeoutMs} ms`);
        // A refused or dropped connection passes like a timeout does.
        const reason = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
        throw unavailable(`Viber could not be reached: ${reason}`);
      }
      if (status < 200 || status >= 300) throw vendorFailure('Viber', status, body, retryAfterMs(retryAfter));
      return detailsOf(body);
    },
  };
}

function detailsOf(body: string): ViberUserDetails | 'limit-reached' | 'unknown-user' {
  let answer: UserDetailsAnswer;
  try {
    answer = JSON.parse(body) as UserDetailsAnswer;
  } catch {
    throw rejected('Viber answered get_user_details with HTTP 200 but its body is not JSON');
  }
  const { status, user } = answer;
  if (status === STATUS.tooManyRequests) return 'limit-reached';
  if (typeof status === 'number' && UNKNOWN_USER_STATUSES.includes(status)) return 'unknown-user';
  if (status === STATUS.invalidAuthToken) throw rejected(`Viber refused the bot's auth token (status 2 ${statusMessage(answer)})`);
  if (status !== STATUS.ok) throw rejected(`Viber refused get_user_details: status ${String(status)} ${statusMessage(answer)}`);
  if (typeof user !== 'object' || user === null || typeof user.id !== 'string') {
    throw rejected('Viber answered get_user_details with status 0 but no user.id');
  }
  return { id: user.id, name: textOrNull(user.name), country: textOrNull(user.country), language: textOrNull(user.language) };
}

function statusMessage(answer: UserDetailsAnswer): string {
  return typeof answer.status_message === 'string' ? redactPhoneNumbers(answer.status_message.slice(0, 200)) : '(no status_message)';
}

function textOrNull(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function unavailable(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'ViberUnavailable', message, nonRetryable: false });
}

function rejected(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'ViberRejected', message, nonRetryable: true });
}
