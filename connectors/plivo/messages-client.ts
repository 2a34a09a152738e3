import { ApplicationFailure } from '@temporalio/common';
import { retryAfterMs, vendorFailure } from '../vendor-failure.ts';
import { formatFilterTime } from './plivo-time.ts';

export interface PlivoSettings {
  /** `https://api.plivo.com` in production, an emulator's URL in tests and the demo. */
  baseUrl: string;
  authId: string;
  authToken: string;
  /** How long one request may take, answer body included. Default 30 s. */
  timeoutMs?: number;
}

/** A Message Detail Record as Plivo lists it; numbers are digits without `+`, and no message text is listed. */
export interface PlivoMessage {
  message_uuid: string;
  /** `YYYY-MM-DD HH:MM:ss[.uuuuuu]`, with the account's UTC offset appended when Plivo writes it. */
  message_time: string;
  message_direction: 'inbound' | 'outbound';
  message_state: string;
  message_type: string;
  from_number: string;
  to_number: string;
  units: number;
  total_rate: string;
  total_amount: string;
  error_code: string | null;
  [field: string]: unknown;
}

/** One page of the messages with `timeFrom <= message_time < timeUntil`, newest first. */
export interface MessagesQuery {
  timeFrom: Date;
  timeUntil: Date;
  offset: number;
}

export interface MessagesPage {
  messages: PlivoMessage[];
  /** How many messages the whole window holds. */
  totalCount: number;
  hasMore: boolean;
}

export interface PlivoMessagesClient {
  listMessages(query: MessagesQuery): Promise<MessagesPage>;
}

/** The most messages Plivo lists per request. */
export const PLIVO_PAGE_LIMIT = 20;

/** Plivo's published rate for listing messages: 20 requests per minute. */
export const PLIVO_LIST_RATE = { requests: 20, intervalMs: 60_000 };

const DEFAULT_TIMEOUT_MS = 30_000;

interface ListAnswer {
  meta?: { total_count?: unknown; next?: unknown };
  objects?: unknown;
}

/**
 * Lists an account's messages one page per call. It neither retries nor paces itself: the caller keeps the
 * request budget, and Temporal retries the failures this throws (design rule 3).
 */
export function createPlivoMessagesClient(settings: PlivoSettings): PlivoMessagesClient {
  const endpoint = `${settings.baseUrl.replace(/\/+$/, '')}/v1/Account/${encodeURIComponent(settings.authId)}/Message/`;
  const authorization = `Basic ${Buffer.from(`${settings.authId}:${settings.authToken}`).toString('base64')}`;
  const timeoutMs = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  return {
    async listMessages(query) {
      const problem = queryProblem(query);
      if (problem !== undefined) {
        throw ApplicationFailure.create({ type: 'PlivoQueryInvalid', message: problem, nonRetryable: true });
      }
      const parameters = [
        ['limit', String(PLIVO_PAGE_LIMIT)],
        ['offset', String(query.offset)],
        ['message_time__gte', formatFilterTime(query.timeFrom)],
        ['message_time__lt', formatFilterTime(query.timeUntil)],
      ];
      const url = `${endpoint}?${parameters.map(([name, value]) => `${name}=${encodeURIComponent(value!)}`).join('&')}`;

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
          throw ApplicationFailure.create({
            type: 'PlivoUnavailable',
            message: `Plivo did not answer the message list within ${timeoutMs} ms`,
            nonRetryable: false,
          });
        }
        // A refused or dropped connection passes like a timeout does.
        const reason = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
        throw ApplicationFailure.create({ type: 'PlivoUnavailable', message: `Plivo could not be reached: ${reason}`, nonRetryable: false });
      }
      if (status < 200 || status >= 300) throw vendorFailure('Plivo', status, body, retryAfterMs(retryAfter));
      return pageOf(body);
    },
  };
}

function queryProblem({ timeFrom, timeUntil, offset }: MessagesQuery): string | undefined {
  if (!(timeFrom instanceof Date) || Number.isNaN(timeFrom.getTime())) return `timeFrom: a valid Date is required, got ${String(timeFrom)}`;
  if (!(timeUntil instanceof Date) || Number.isNaN(timeUntil.getTime())) return `timeUntil: a valid Date is required, got ${String(timeUntil)}`;
  if (timeFrom > timeUntil) return `timeFrom (${timeFrom.toISOString()}) is after timeUntil (${timeUntil.toISOString()})`;
  if (!Number.isInteger(offset) || offset < 0) return `offset: a non-negative integer is required, got ${offset}`;
  return undefined;
}

function pageOf(body: string): MessagesPage {
  let answer: ListAnswer;
  try {
    answer = JSON.parse(body) as ListAnswer;
  } catch {
    throw malformed('its body is not JSON');
  }
  const totalCount = answer.meta?.total_count;
  if (!Array.isArray(answer.objects)) throw malformed('objects is not a list');
  if (typeof totalCount !== 'number') throw malformed('meta.total_count is not a number');
  const messages = answer.objects as PlivoMessage[];
  // An empty page ends the listing even if Plivo names a next one, so a caller can never page forever.
  const hasMore = answer.meta?.next !== null && answer.meta?.next !== undefined && messages.length > 0;
  return { messages, totalCount, hasMore };
}

function malformed(reason: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'PlivoMalformedAnswer',
    message: `Plivo answered the message list with HTTP 200 but ${reason}`,
    nonRetryable: true,
  });
}
