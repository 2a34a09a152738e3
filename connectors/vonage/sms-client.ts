import { ApplicationFailure } from '@temporalio/common';
import type { RateLimit } from '../../activities/extract/request-budget.ts';
import { redactPhoneNumbers } from '../../privacy/redact-phone-numbers.ts';
import { SlidingWindowLimit } from '../sliding-window-limit.ts';
import { retryAfterMs, unansweredSend, vendorFailure } from '../vendor-failure.ts';

/** Vonage's default outbound SMS throughput: 30 API requests per second per API key (vendor-apis.md, Vonage support). */
export const VONAGE_SMS_RATE: RateLimit = { requests: 30, intervalMs: 1000 };

export interface VonageSmsSettings {
  /** `https://rest.nexmo.com`, or an emulator's URL. */
  baseUrl: string;
  apiKey: string;
  apiSecret: string;
  /** Shared by every send through this client. Default VONAGE_SMS_RATE. */
  rate?: RateLimit;
  /** How long one request may take. Default 30 s. */
  timeoutMs?: number;
}

export interface OutboundSms {
  /** The sender: the business's virtual number (digits) or an alphanumeric sender id. */
  from: string;
  /** E.164, with `+`. */
  to: string;
  text: string;
  /** Our reference (at most 40 characters), echoed in the delivery receipts: what makes a resent SMS recognisable. */
  clientRef: string;
  /** Where this message's delivery receipts go, instead of the account's default. */
  callbackUrl?: string;
}

export interface VonageSmsClient {
  /** The `message-id` of the first part; a long text is split, and each part has its own id and receipt. */
  send(sms: OutboundSms): Promise<{ messageId: string }>;
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** Vonage names no wait when it throttles; its limits are per second. */
const THROTTLE_DELAY_MS = 1000;
/**
 * Vonage counts a request when it arrives, and requests do not all take equally long to get there: the window
 * is kept this much wider than the published one so the arrivals stay inside it too.
 */
const ARRIVAL_HEADROOM_MS = 100;
const CLIENT_REF_MAX_LENGTH = 40;
const E164 = /^\+\d{7,15}$/;

// GSM 03.38: the basic alphabet, and the extension table whose characters take two septets (an escape first).
const GSM_7_BASIC = new Set('@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà');
const GSM_7_EXTENSION = new Set('\f^{}\\[~]|€');

/** SMS API statuses that retrying can fix (nexmo-sms.yml x-errors): throttled, a platform error, too many binds. */
const PASSING_STATUSES: Record<string, string> = { '1': 'Throttled', '5': 'Internal Error', '10': 'Too Many Existing Binds' };

interface SendAnswer {
  'message-count'?: string;
  messages?: { status?: string; 'message-id'?: string; 'error-text'?: string }[];
}

/**
 * Vonage's SMS API (`POST /sms/json`). One request per send, paced under the account's throughput by one
 * window shared by every caller of this client; failures come out classified for Temporal (design rule 3).
 * A send that timed out may still have gone out: the client-ref in its receipts tells the two apart.
 */
export function createVonageSmsClient(settings: VonageSmsSettings): VonageSmsClient {
  const endpoint = `${settings.baseUrl.replace(/\/+$/, '')}/sms/json`;
  const timeoutMs = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const rate = settings.rate ?? VONAGE_SMS_RATE;
  const limit = new SlidingWindowLimit({ requests: rate.requests, intervalMs: rate.intervalMs + ARRIVAL_HEADROOM_MS, name: 'vonage-sms' });

  return {
    async send(sms) {
      const problem = smsProblem(sms);
      if (problem !== undefined) throw ApplicationFailure.create({ type: 'VonageSmsInvalid', message: problem, nonRetryable: true });
      const form = new URLSearchParams({
        api_key: settings.apiKey,
        api_secret: settings.apiSecret,
        from: sms.from,
        to: sms.to.slice(1),
        text: sms.text,
        'client-ref': sms.clientRef,
      });
      if (sms.callbackUrl !== undefined) form.set('callback', sms.callbackUrl);
      // Without it Vonage sends the text in the GSM alphabet, and Arabic arrives as question marks.
      if (!isGsm7(sms.text)) form.set('type', 'unicode');

      await limit.take();
      let response: Response;
      let body: string;
      try {
        response = await fetch(endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: form.toString(),
          signal: AbortSignal.timeout(timeoutMs),
        });
        body = await response.text();
      } catch (error) {
        const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
        const reason = timedOut ? `no answer within ${timeoutMs} ms` : `the connection failed (${(error as Error).message ?? String(error)})`;
        throw unansweredSend('Vonage', `POST /sms/json: ${reason}`);
      }
      if (!response.ok) {
        const wait = retryAfterMs(response.headers.get('retry-after')) ?? (response.status === 429 ? THROTTLE_DELAY_MS : undefined);
        throw vendorFailure('Vonage', response.status, body, wait);
      }
      return { messageId: acceptedId(body) };
    },
  };
}

/** Whether the text can go in the GSM 7-bit alphabet; anything else (Arabic, emoji) needs `type=unicode`. */
export function isGsm7(text: string): boolean {
  for (const character of text) {
    if (!GSM_7_BASIC.has(character) && !GSM_7_EXTENSION.has(character)) return false;
  }
  return true;
}

/** How many septets the text takes in the GSM alphabet (extension characters count two); only for GSM-7 text. */
export function gsm7Septets(text: string): number {
  let septets = 0;
  for (const character of text) septets += GSM_7_EXTENSION.has(character) ? 2 : 1;
  return septets;
}

function smsProblem(sms: OutboundSms): string | undefined {
  if (!E164.test(sms.to)) return 'to is not an E.164 number (+ and 7 to 15 digits)';
  if (sms.from.trim() === '') return 'from is empty';
  if (sms.text === '') return 'text is empty';
  if (sms.clientRef === '' || sms.clientRef.length > CLIENT_REF_MAX_LENGTH) return `clientRef must be 1 to ${CLIENT_REF_MAX_LENGTH} characters`;
  return undefined;
}

/** The first part's id when every part was accepted; otherwise the first refused part's status decides. */
function acceptedId(body: string): string {
  let answer: SendAnswer;
  try {
    answer = JSON.parse(body) as SendAnswer;
  } catch {
    throw ApplicationFailure.retryable('Vonage answered POST /sms/json with a body that is not JSON', 'VonageUnavailable');
  }
  const messages = Array.isArray(answer.messages) ? answer.messages : [];
  const refused = messages.find((message) => message.status !== '0');
  if (refused !== undefined) {
    const status = String(refused.status);
    const text = redactPhoneNumbers(String(refused['error-text'] ?? PASSING_STATUSES[status] ?? 'no error-text'));
    const message = `Vonage refused the SMS with status ${status}: ${text}`;
    if (status in PASSING_STATUSES) {
      throw ApplicationFailure.create({ type: 'VonageUnavailable', message, nonRetryable: false, nextRetryDelay: THROTTLE_DELAY_MS });
    }
    throw ApplicationFailure.create({ type: 'VonageRejected', message, nonRetryable: true });
  }
  const messageId = messages[0]?.['message-id'];
  if (typeof messageId !== 'string' || messageId === '') {
    throw ApplicationFailure.retryable('Vonage answered POST /sms/json without a message-id', 'VonageUnavailable');
  }
  return messageId;
}
