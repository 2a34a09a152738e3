import { ApplicationFailure } from '@temporalio/common';
import type { RateLimit } from '../../activities/extract/request-budget.ts';
import { redactPhoneNumbers } from '../../privacy/redact-phone-numbers.ts';
import { SlidingWindowLimit } from '../sliding-window-limit.ts';
import { retryAfterMs, unansweredSend, vendorFailure } from '../vendor-failure.ts';

export interface WhatsAppCloudSettings {
  /** `https://graph.facebook.com`, or an emulator's URL. */
  baseUrl: string;
  /** Graph API version. Default `v23.0`. */
  apiVersion?: string;
  /** The business number's id (not the number itself). */
  phoneNumberId: string;
  accessToken: string;
  /** Messages per window for this number. Default WHATSAPP_THROUGHPUT. */
  throughput?: RateLimit;
  /** How long one request may take. Default 30 s. */
  timeoutMs?: number;
}

export interface TemplateMessage {
  /** E.164, with `+`. */
  to: string;
  template: { name: string; languageCode: string; bodyParameters?: string[] };
  /** Sent as `biz_opaque_callback_data`; Meta hands it back on every status of the message. */
  callbackData?: string;
}

export interface WhatsAppCloudClient {
  /** Sends an approved template; resolves once Meta accepted it. Delivery (or 131026) arrives later, by webhook. */
  sendTemplate(message: TemplateMessage): Promise<{ wamid: string; waId: string }>;
}

/** Meta's default throughput per business number: 80 messages per second (raised up to 1,000 on request). */
export const WHATSAPP_THROUGHPUT: RateLimit = { requests: 80, intervalMs: 1000 };

const DEFAULT_API_VERSION = 'v23.0';
const DEFAULT_TIMEOUT_MS = 30_000;
const E164 = /^\+[1-9]\d{6,14}$/;
/** Meta's bound on `biz_opaque_callback_data`. */
const CALLBACK_DATA_LIMIT = 512;
/**
 * Meta counts a message when it arrives, and an early request can arrive later after its start than a following
 * one. Widening the window by this much (as the other clients do) keeps arrivals within the throughput too, for about 10% of it.
 */
const ARRIVAL_HEADROOM_MS = 100;

/** Meta's codes for limits that lift by themselves, and the wait that surely helps when Meta names none. */
const PASSING_LIMITS: ReadonlyMap<number, number> = new Map([
  // Throughput reached: its window is a second.
  [130429, 1000],
  // The business account's rate limit (is_transient); Meta's usage windows are up to an hour long.
  [80007, 60_000],
  // Pair rate limit: about one message per 6 s to the same customer.
  [131056, 6000],
  // Messaging limit (and spam rate limit): the portfolio reached its unique customers for a moving 24 h.
  [131048, 3_600_000],
]);
const THROTTLE_DELAY_MS = 1000;

interface GraphError {
  message?: unknown;
  type?: unknown;
  code?: unknown;
  error_subcode?: unknown;
  is_transient?: unknown;
  error_data?: { details?: unknown };
  fbtrace_id?: unknown;
}

interface SendAnswer {
  contacts?: { input?: unknown; wa_id?: unknown }[];
  messages?: { id?: unknown }[];
}

/**
 * Sends template messages through Meta's Cloud API, one request per call, never retried here: limits that
 * lift by themselves (throughput, pair rate, messaging limit, transient errors, 429 and 5xx) come out as
 * retryable failures with the wait that helps, anything else as a failure that retrying cannot fix. Every
 * send of this client, from any caller in the process, keeps within the number's throughput.
 */
export function createWhatsAppCloudClient(settings: WhatsAppCloudSettings): WhatsAppCloudClient {
  const endpoint = `${settings.baseUrl.replace(/\/+$/, '')}/${settings.apiVersion ?? DEFAULT_API_VERSION}/${encodeURIComponent(settings.phoneNumberId)}/messages`;
  const timeoutMs = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const throughput = settings.throughput ?? WHATSAPP_THROUGHPUT;
  const limit = new SlidingWindowLimit({ requests: throughput.requests, intervalMs: throughput.intervalMs + ARRIVAL_HEADROOM_MS });

  return {
    async sendTemplate(message) {
      const problem = messageProblem(message);
      if (problem !== undefined) throw ApplicationFailure.create({ type: 'WhatsAppMessageInvalid', message: problem, nonRetryable: true });

      await limit.take();
      const signal = AbortSignal.timeout(timeoutMs);
      let status: number;
      let retryAfter: string | null;
      let body: string;
      try {
        const response = await fetch(endpoint, {
          method: 'POST',
          headers: { authorization: `Bearer ${settings.accessToken}`, 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify(requestBody(message)),
          signal,
        });
        status = response.status;
        retryAfter = response.headers.get('retry-after');
        body = await response.text();
      } catch (error) {
        const reason = signal.aborted
          ? `no answer within ${timeoutMs} ms`
          : `the connection failed (${error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error)})`;
        throw unansweredSend('WhatsApp', reason);
      }
      if (status < 200 || status >= 300) throw failureOf(status, body, retryAfterMs(retryAfter));
      return acceptedIn(body);
    },
  };
}

function messageProblem({ to, template, callbackData }: TemplateMessage): string | undefined {
  if (typeof to !== 'string' || !E164.test(to)) return 'to: an E.164 number with + is required';
  if (typeof template?.name !== 'string' || template.name === '') return 'template.name is required';
  if (typeof template.languageCode !== 'string' || template.languageCode === '') return 'template.languageCode is required';
  if (callbackData !== undefined && callbackData.length > CALLBACK_DATA_LIMIT) {
    return `callbackData: at most ${CALLBACK_DATA_LIMIT} characters, got ${callbackData.length}`;
  }
  return undefined;
}

function requestBody({ to, template, callbackData }: TemplateMessage): Record<string, unknown> {
  const parameters = template.bodyParameters ?? [];
  return {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to,
    type: 'template',
    template: {
      name: template.name,
      language: { policy: 'deterministic', code: template.languageCode },
      ...(parameters.length === 0 ? {} : { components: [{ type: 'body', parameters: parameters.map((text) => ({ type: 'text', text })) }] }),
    },
    ...(callbackData === undefined ? {} : { biz_opaque_callback_data: callbackData }),
  };
}

/** Meta's 200: the message id to match the status webhooks against, and the WhatsApp id of the recipient. */
function acceptedIn(body: string): { wamid: string; waId: string } {
  let answer: SendAnswer;
  try {
    answer = JSON.parse(body) as SendAnswer;
  } catch {
    answer = {};
  }
  const wamid = answer.messages?.[0]?.id;
  const waId = answer.contacts?.[0]?.wa_id;
  if (typeof wamid !== 'string' || typeof waId !== 'string') {
    // Meta took the message: sending it again could reach the customer twice.
    throw ApplicationFailure.create({ type: 'WhatsAppAnswerUnreadable', message: 'WhatsApp accepted the message without naming its id', nonRetryable: true });
  }
  return { wamid, waId };
}

function failureOf(status: number, body: string, retryAfter: number | undefined): ApplicationFailure {
  const error = graphErrorIn(body);
  if (error === undefined || typeof error.code !== 'number') {
    return vendorFailure('WhatsApp', status, body, retryAfter ?? (status === 429 ? THROTTLE_DELAY_MS : undefined));
  }
  const code = error.code;
  const passingWait = PASSING_LIMITS.get(code);
  const retryable = passingWait !== undefined || error.is_transient === true || status === 429 || status >= 500;
  const said = [error.message, error.error_data?.details].filter((part) => typeof part === 'string' && part !== '').join(': ');
  const subcode = typeof error.error_subcode === 'number' ? `, subcode ${error.error_subcode}` : '';
  const trace = typeof error.fbtrace_id === 'string' ? ` (fbtrace_id ${error.fbtrace_id})` : '';
  // Meta's codes stay outside the redaction, which could take a code next to other digits for a phone number.
  const message = `WhatsApp answered HTTP ${status} with code ${code}${subcode}: ${redactPhoneNumbers(said.slice(0, 500))}${trace}`;
  if (!retryable) return ApplicationFailure.create({ type: 'WhatsAppRejected', message, nonRetryable: true, details: [{ code }] });
  return ApplicationFailure.create({
    type: 'WhatsAppUnavailable',
    message,
    nonRetryable: false,
    nextRetryDelay: retryAfter ?? passingWait ?? (status === 429 ? THROTTLE_DELAY_MS : undefined),
    details: [{ code }],
  });
}

function graphErrorIn(body: string): GraphError | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    return typeof parsed?.error === 'object' && parsed.error !== null ? (parsed.error as GraphError) : undefined;
  } catch {
    return undefined;
  }
}
