import { ApplicationFailure } from '@temporalio/common';
import type { RateLimit } from '../../activities/extract/request-budget.ts';
import { SlidingWindowLimit } from '../sliding-window-limit.ts';
import { retryAfterMs, unansweredSend, vendorFailure } from '../vendor-failure.ts';
import { describeGraphError, graphErrorIn } from './graph-error.ts';
import type { InteractiveMessage } from './interactive-message.ts';

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
  template: {
    name: string;
    languageCode: string;
    /** Values of a positional body's `{{1}}`, `{{2}}`, ... in order. */
    bodyParameters?: string[];
    /** Values of a named body's variables (`parameter_format: named`), like `{ name: 'first_name', text: 'Layla' }`. */
    namedBodyParameters?: { name: string; text: string }[];
    /** The value of a text header's one variable. */
    headerText?: string;
    /** The image of an IMAGE header, by public link. */
    headerImage?: { link: string };
    /** The value ending the address of each URL button with a variable, by the button's index in the template. */
    urlButtonParameters?: { index: number; text: string }[];
  };
  /** Sent as `biz_opaque_callback_data`; Meta hands it back on every status of the message. */
  callbackData?: string;
}

/** A free-form text, only delivered inside the customer service window (24 h after the customer last wrote). */
export interface TextMessage {
  to: string;
  body: string;
  callbackData?: string;
}

/** Reply buttons or a list, only delivered inside the customer service window. */
export interface InteractiveSend {
  to: string;
  interactive: InteractiveMessage;
  callbackData?: string;
}

/** Meta took the message: its id, to match the status webhooks against, and the recipient's WhatsApp id. */
export interface AcceptedMessage {
  wamid: string;
  waId: string;
}

export interface WhatsAppCloudClient {
  /** Sends an approved template; resolves once Meta accepted it. Delivery (or 131026) arrives later, by webhook. */
  sendTemplate(message: TemplateMessage): Promise<AcceptedMessage>;
  /** Sends a text; outside the service window Meta accepts it and its status later says failed with 131047. */
  sendText(message: TextMessage): Promise<AcceptedMessage>;
  /** Sends reply buttons or a list; outside the service window it fails later with 131047, like a text. */
  sendInteractive(message: InteractiveSend): Promise<AcceptedMessage>;
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

interface SendAnswer {
  contacts?: { input?: unknown; wa_id?: unknown }[];
  messages?: { id?: unknown }[];
}

/**
 * Sends messages (templates, and texts or interactive messages inside the service window) through Meta's Cloud API, one request per call, never retried here: limits that
 * lift by themselves (throughput, pair rate, messaging limit, transient errors, 429 and 5xx) come out as
 * retryable failures with the wait that helps, anything else as a failure that retrying cannot fix. Every
 * send of this client, from any caller in the process, keeps within the number's throughput.
 */
export function createWhatsAppCloudClient(settings: WhatsAppCloudSettings): WhatsAppCloudClient {
  const endpoint = `${settings.baseUrl.replace(/\/+$/, '')}/${settings.apiVersion ?? DEFAULT_API_VERSION}/${encodeURIComponent(settings.phoneNumberId)}/messages`;
  const timeoutMs = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const throughput = settings.throughput ?? WHATSAPP_THROUGHPUT;
  const limit = new SlidingWindowLimit({ requests: throughput.requests, intervalMs: throughput.intervalMs + ARRIVAL_HEADROOM_MS, name: 'whatsapp-throughput' });

  async function send(problem: string | undefined, body: Record<string, unknown>): Promise<AcceptedMessage> {
    if (problem !== undefined) throw ApplicationFailure.create({ type: 'WhatsAppMessageInvalid', message: problem, nonRetryable: true });

    await limit.take();
    const signal = AbortSignal.timeout(timeoutMs);
    let status: number;
    let retryAfter: string | null;
    let answer: string;
    try {
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: { authorization: `Bearer ${settings.accessToken}`, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
        signal,
      });
      status = response.status;
      retryAfter = response.headers.get('retry-after');
      answer = await response.text();
    } catch (error) {
      const reason = signal.aborted
        ? `no answer within ${timeoutMs} ms`
        : `the connection failed (${error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error)})`;
      throw unansweredSend('WhatsApp', reason);
    }
    if (status < 200 || status >= 300) throw failureOf(status, answer, retryAfterMs(retryAfter));
    return acceptedIn(answer);
  }

  return {
    sendTemplate: (message) => send(templateProblem(message), templateBody(message)),
    sendText: ({ to, body, callbackData }) =>
      send(
        recipientProblem(to, callbackData) ?? (typeof body !== 'string' || body.trim() === '' ? 'body: a non-empty text is required' : undefined),
        envelope(to, callbackData, { type: 'text', text: { body } }),
      ),
    sendInteractive: ({ to, interactive, callbackData }) =>
      send(
        recipientProblem(to, callbackData) ?? (typeof interactive?.body?.text !== 'string' ? 'interactive.body.text is required' : undefined),
        envelope(to, callbackData, { type: 'interactive', interactive }),
      ),
  };
}

function recipientProblem(to: string, callbackData: string | undefined): string | undefined {
  if (typeof to !== 'string' || !E164.test(to)) return 'to: an E.164 number with + is required';
  if (callbackData !== undefined && callbackData.length > CALLBACK_DATA_LIMIT) {
    return `callbackData: at most ${CALLBACK_DATA_LIMIT} characters, got ${callbackData.length}`;
  }
  return undefined;
}

function envelope(to: string, callbackData: string | undefined, content: Record<string, unknown>): Record<string, unknown> {
  return {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to,
    ...content,
    ...(callbackData === undefined ? {} : { biz_opaque_callback_data: callbackData }),
  };
}

function templateProblem({ to, template, callbackData }: TemplateMessage): string | undefined {
  const recipient = recipientProblem(to, callbackData);
  if (recipient !== undefined) return recipient;
  if (typeof template?.name !== 'string' || template.name === '') return 'template.name is required';
  if (typeof template.languageCode !== 'string' || template.languageCode === '') return 'template.languageCode is required';
  if (template.bodyParameters !== undefined && template.namedBodyParameters !== undefined) {
    return 'template: bodyParameters (positional) or namedBodyParameters, not both';
  }
  return undefined;
}

function templateBody({ to, template, callbackData }: TemplateMessage): Record<string, unknown> {
  const components: Record<string, unknown>[] = [];
  if (template.headerText !== undefined) components.push({ type: 'header', parameters: [{ type: 'text', text: template.headerText }] });
  if (template.headerImage !== undefined) components.push({ type: 'header', parameters: [{ type: 'image', image: { link: template.headerImage.link } }] });
  const body = [
    ...(template.bodyParameters ?? []).map((text) => ({ type: 'text', text })),
    ...(template.namedBodyParameters ?? []).map(({ name, text }) => ({ type: 'text', parameter_name: name, text })),
  ];
  if (body.length > 0) components.push({ type: 'body', parameters: body });
  for (const { index, text } of template.urlButtonParameters ?? []) {
    components.push({ type: 'button', sub_type: 'url', index: String(index), parameters: [{ type: 'text', text }] });
  }
  return envelope(to, callbackData, {
    type: 'template',
    template: {
      name: template.name,
      language: { policy: 'deterministic', code: template.languageCode },
      ...(components.length === 0 ? {} : { components }),
    },
  });
}

/** Meta's 200: the message id to match the status webhooks against, and the WhatsApp id of the recipient. */
function acceptedIn(body: string): AcceptedMessage {
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
  const message = describeGraphError(status, { ...error, code });
  if (!retryable) return ApplicationFailure.create({ type: 'WhatsAppRejected', message, nonRetryable: true, details: [{ code }] });
  return ApplicationFailure.create({
    type: 'WhatsAppUnavailable',
    message,
    nonRetryable: false,
    nextRetryDelay: retryAfter ?? passingWait ?? (status === 429 ? THROTTLE_DELAY_MS : undefined),
    details: [{ code }],
  });
}
