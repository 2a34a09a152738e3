import { ApplicationFailure } from '@temporalio/common';
import { redactPhoneNumbers } from '../../privacy/redact-phone-numbers.ts';
import { SlidingWindowLimit } from '../sliding-window-limit.ts';
import { retryAfterMs, unansweredSend, vendorFailure } from '../vendor-failure.ts';
import { parseViberJson } from './callbacks.ts';

export interface ViberBotSettings {
  /** `https://chatapi.viber.com/pa` in production, an emulator's URL in tests and the demo. */
  baseUrl: string;
  /** The bot's auth token, sent as `X-Viber-Auth-Token`. */
  authToken: string;
  /** How long one request may take, answer body included. Default 30 s. */
  timeoutMs?: number;
  /** `broadcast_message` calls per rolling window. Default VIBER_BROADCAST_RATE. */
  broadcastRate?: { requests: number; intervalMs: number };
}

/** Viber's published rate for `broadcast_message`: 500 calls per 10 seconds. */
export const VIBER_BROADCAST_RATE = { requests: 500, intervalMs: 10_000 };

/** The most receivers one `broadcast_message` call takes. */
export const VIBER_BROADCAST_RECEIVERS = 300;

/** What `get_user_details` tells about a user; Viber never tells a phone number. */
export interface ViberUserDetails {
  id: string;
  name: string | null;
  country: string | null;
  language: string | null;
}

/** One text to up to VIBER_BROADCAST_RECEIVERS subscribed users. */
export interface ViberBroadcast {
  /** Viber user ids of the bot's subscribers. */
  receivers: string[];
  text: string;
  /** The bot's name as the users see it, at most 28 characters. */
  senderName: string;
}

export interface ViberBroadcastOutcome {
  /** Viber's 64-bit id of the broadcast, as its digits; delivery callbacks carry it. */
  messageToken: string;
  /** Receivers Viber did not send to (6: not subscribed), with Viber's status for each. */
  failed: { receiver: string; status: number; statusMessage: string }[];
}

export interface ViberBotClient {
  /**
   * 'limit-reached': Viber allows two calls per user per 12 hours and this one was refused.
   * 'unknown-user': Viber has no such user for this bot.
   */
  getUserDetails(userId: string): Promise<ViberUserDetails | 'limit-reached' | 'unknown-user'>;
  broadcastMessage(broadcast: ViberBroadcast): Promise<ViberBroadcastOutcome>;
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

/** A text message needs nothing newer than the first API version, so every subscriber can receive it. */
const MIN_API_VERSION = 1;

/**
 * Viber counts a call when it arrives, and an early call can arrive later after its start than a following one
 * (a fresh connection is slower than a reused one). Widening the window by this much keeps arrivals within the rate.
 */
const ARRIVAL_HEADROOM_MS = 250;

interface ViberAnswer {
  status?: unknown;
  status_message?: unknown;
}

interface UserDetailsAnswer extends ViberAnswer {
  user?: { id?: unknown; name?: unknown; country?: unknown; language?: unknown };
}

interface BroadcastAnswer extends ViberAnswer {
  message_token?: unknown;
  failed_list?: unknown;
}

/**
 * The bot's side of Viber's Chat API. It never retries: the caller keeps Viber's per-user allowance
 * (`takeUserDetailsCall`), broadcasts keep Viber's rate through one limit per client, and Temporal retries the
 * failures this throws (design rule 3).
 */
export function createViberBotClient(settings: ViberBotSettings): ViberBotClient {
  const baseUrl = settings.baseUrl.replace(/\/+$/, '');
  const timeoutMs = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const broadcastRate = settings.broadcastRate ?? VIBER_BROADCAST_RATE;
  const broadcastLimit = new SlidingWindowLimit({ requests: broadcastRate.requests, intervalMs: broadcastRate.intervalMs + ARRIVAL_HEADROOM_MS, name: 'viber-broadcast' });

  /** The body of Viber's answer to one call; HTTP failures and timeouts are thrown, Viber's `status` is the caller's to read. */
  async function call(method: string, request: unknown): Promise<ViberAnswer> {
    const signal = AbortSignal.timeout(timeoutMs);
    let status: number;
    let retryAfter: string | null;
    let body: string;
    try {
      const response = await fetch(`${baseUrl}/${method}`, {
        method: 'POST',
        headers: { 'x-viber-auth-token': settings.authToken, 'content-type': 'application/json' },
        body: JSON.stringify(request),
        signal,
      });
      status = response.status;
      retryAfter = response.headers.get('retry-after');
      body = await response.text();
    } catch (error) {
      // A refused or dropped connection passes like a timeout does; a broadcast may have gone out all the same.
      const reason = signal.aborted
        ? `no answer to ${method} within ${timeoutMs} ms`
        : `could not be reached (${error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error)})`;
      throw method === 'broadcast_message' ? unansweredSend('Viber', reason) : unavailable(`Viber: ${reason}`);
    }
    if (status < 200 || status >= 300) throw vendorFailure('Viber', status, body, retryAfterMs(retryAfter));
    let answer: unknown;
    try {
      // Keeps a 64-bit message_token as its digits.
      answer = parseViberJson(body);
    } catch {
      throw rejected(`Viber answered ${method} with HTTP 200 but its body is not JSON`);
    }
    if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) {
      throw rejected(`Viber answered ${method} with HTTP 200 but its body is not an object`);
    }
    const viberAnswer = answer as ViberAnswer;
    if (viberAnswer.status === STATUS.invalidAuthToken) throw rejected(`Viber refused the bot's auth token (status 2 ${statusMessage(viberAnswer)})`);
    return viberAnswer;
  }

  return {
    async getUserDetails(userId) {
      return detailsOf(await call('get_user_details', { id: userId }));
    },

    async broadcastMessage({ receivers, text, senderName }) {
      if (receivers.length === 0 || receivers.length > VIBER_BROADCAST_RECEIVERS) {
        throw ApplicationFailure.create({
          type: 'ViberBroadcastInvalid',
          message: `a Viber broadcast goes to 1 to ${VIBER_BROADCAST_RECEIVERS} receivers, got ${receivers.length}`,
          nonRetryable: true,
        });
      }
      await broadcastLimit.take();
      const answer = await call('broadcast_message', {
        broadcast_list: receivers,
        min_api_version: MIN_API_VERSION,
        sender: { name: senderName },
        type: 'text',
        text,
      });
      return broadcastOutcomeOf(answer, broadcastRate.intervalMs);
    },
  };
}

function detailsOf(answer: UserDetailsAnswer): ViberUserDetails | 'limit-reached' | 'unknown-user' {
  const { status, user } = answer;
  if (status === STATUS.tooManyRequests) return 'limit-reached';
  if (typeof status === 'number' && UNKNOWN_USER_STATUSES.includes(status)) return 'unknown-user';
  if (status !== STATUS.ok) throw rejected(`Viber refused get_user_details: status ${String(status)} ${statusMessage(answer)}`);
  if (typeof user !== 'object' || user === null || typeof user.id !== 'string') {
    throw rejected('Viber answered get_user_details with status 0 but no user.id');
  }
  return { id: user.id, name: textOrNull(user.name), country: textOrNull(user.country), language: textOrNull(user.language) };
}

/**
 * Status 12 is Viber's throttle: retryable once the rate's window has passed. Any other refusal (bad data, a
 * blocked or unauthorised bot, no webhook set) will not get better by sending the same call again.
 */
function broadcastOutcomeOf(answer: BroadcastAnswer, windowMs: number): ViberBroadcastOutcome {
  const { status, message_token: token, failed_list: failedList = [] } = answer;
  if (status === STATUS.tooManyRequests) {
    throw ApplicationFailure.create({
      type: 'ViberUnavailable',
      message: `Viber refused broadcast_message as too many requests (status 12 ${statusMessage(answer)})`,
      nonRetryable: false,
      nextRetryDelay: windowMs,
    });
  }
  if (status !== STATUS.ok) throw rejected(`Viber refused broadcast_message: status ${String(status)} ${statusMessage(answer)}`);
  // The broadcast went out: a malformed answer must not make Temporal send it again.
  if (typeof token !== 'string' || !/^\d{1,20}$/.test(token)) throw rejected('Viber answered broadcast_message with status 0 but no message_token');
  if (!Array.isArray(failedList)) throw rejected('Viber answered broadcast_message with a failed_list that is not a list');
  const failed = failedList.map((entry: { receiver?: unknown; status?: unknown; status_message?: unknown }) => {
    if (typeof entry?.receiver !== 'string' || typeof entry.status !== 'number') {
      throw rejected('Viber answered broadcast_message with a failed_list entry without receiver or status');
    }
    return { receiver: entry.receiver, status: entry.status, statusMessage: typeof entry.status_message === 'string' ? entry.status_message : '' };
  });
  return { messageToken: token, failed };
}

function statusMessage(answer: ViberAnswer): string {
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
