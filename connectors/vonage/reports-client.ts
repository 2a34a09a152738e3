import { ApplicationFailure } from '@temporalio/common';
import { redactPhoneNumbers } from '../../privacy/redact-phone-numbers.ts';
import { retryAfterMs, vendorFailure } from '../vendor-failure.ts';
import { readVonageReportCsv } from './report-csv.ts';
import { unzipReportCsv } from './report-zip.ts';

export interface VonageReportsSettings {
  /** `https://api.nexmo.com`, or an emulator's URL. */
  baseUrl: string;
  apiKey: string;
  apiSecret: string;
  /** How long one request may take (for a download: how long it may wait for the next bytes). Default 30 s. */
  timeoutMs?: number;
}

/** One SMS record as Vonage gives it, every value a string. */
export type VonageRecord = Record<string, string>;

/** One direction of one account's SMS between two ISO 8601 times; the sync API takes at most 24 hours. */
export interface RecordsQuery {
  accountId: string;
  direction: 'inbound' | 'outbound';
  /** Inclusive. */
  dateStart: string;
  /** Exclusive. */
  dateEnd: string;
}

export interface RecordsPage {
  records: VonageRecord[];
  /** The next page's link while Vonage answers TRUNCATED; null after the last page. */
  next: string | null;
}

export type ReportStatus = 'PENDING' | 'PROCESSING' | 'SUCCESS' | 'ABORTED' | 'FAILED' | 'TRUNCATED';

export interface VonageReportsClient {
  /** The first page of a window (product SMS, without message texts). */
  records(query: RecordsQuery): Promise<RecordsPage>;
  /** The page a `next` link points to. */
  recordsAt(next: string): Promise<RecordsPage>;
  /** Asks Vonage to build a report file of the window (no 24-hour bound). */
  createReport(query: RecordsQuery): Promise<{ requestId: string }>;
  reportStatus(requestId: string): Promise<{ status: ReportStatus; downloadUrl: string | null }>;
  /** The records of a finished report, streamed out of its zip; `line` is where each starts in the CSV. */
  downloadReport(url: string): AsyncIterable<{ record: VonageRecord; line: number }>;
}

/** Vonage refused a page cursor as expired: the caller reads the window again from its start. */
export class VonageCursorExpired extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VonageCursorExpired';
  }
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** Vonage's limits are per second and its 429 names no wait, so one second is the wait that surely helps. */
const THROTTLE_DELAY_MS = 1000;
const REPORT_STATUSES: readonly string[] = ['PENDING', 'PROCESSING', 'SUCCESS', 'ABORTED', 'FAILED', 'TRUNCATED'];

interface RecordsAnswer {
  request_status?: string;
  records?: Record<string, unknown>[];
  cursor?: string;
  iv?: string;
  _links?: { next?: { href?: string } };
}

interface ReportAnswer {
  request_id?: string;
  request_status?: string;
  /** The newer API's name for request_status. */
  status?: string;
  download_url?: string;
  _links?: { download_report?: { href?: string } };
}

/** An RFC 7807 problem as Vonage words it. */
interface Problem {
  type?: string;
  title?: string;
  detail?: string;
  instance?: string;
  invalid_parameters?: { name?: string; reason?: string }[];
}

/**
 * Vonage's Reports API: synchronous pages of SMS records and asynchronous report files. It makes one request
 * per call and never retries: throttling, server errors and timeouts come out as retryable failures for
 * Temporal to retry (design rule 3), anything else as a failure that retrying cannot fix.
 */
export function createVonageReportsClient(settings: VonageReportsSettings): VonageReportsClient {
  const baseUrl = settings.baseUrl.replace(/\/+$/, '');
  const timeoutMs = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const authorization = `Basic ${Buffer.from(`${settings.apiKey}:${settings.apiSecret}`).toString('base64')}`;

  /**
   * Links Vonage hands out name its own host; they are followed through the configured base URL (path and
   * query kept), so an emulator or a proxy keeps serving them and the credentials go nowhere else.
   */
  function onConfiguredHost(link: string): string {
    const target = new URL(link, `${baseUrl}/`);
    return `${baseUrl}${target.pathname}${target.search}`;
  }

  async function call(method: 'GET' | 'POST', url: string, body?: unknown): Promise<unknown> {
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers: { authorization, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw unavailable(`${method} ${new URL(url).pathname}`, error, timeoutMs);
    }
    if (!response.ok) throw failureOf(response, text, new URL(url).searchParams.has('cursor'));
    try {
      return JSON.parse(text);
    } catch {
      throw ApplicationFailure.retryable(`Vonage answered ${method} ${new URL(url).pathname} with a body that is not JSON`, 'VonageUnavailable');
    }
  }

  async function page(url: string): Promise<RecordsPage> {
    const answer = (await call('GET', url)) as RecordsAnswer;
    const records = (answer.records ?? []).map(asVonageRecord);
    if (answer.request_status === 'SUCCESS') return { records, next: null };
    if (answer.request_status === 'TRUNCATED') {
      // The pagination guide allows following the link or passing cursor and iv by hand; both lead to the same page.
      const next = answer._links?.next?.href ?? (answer.cursor && answer.iv ? withCursor(url, answer.cursor, answer.iv) : undefined);
      if (next === undefined) {
        throw ApplicationFailure.retryable('Vonage answered TRUNCATED without a next link or cursor', 'VonageUnavailable');
      }
      return { records, next };
    }
    throw ApplicationFailure.retryable(`Vonage answered request_status ${String(answer.request_status)} for ${new URL(url).pathname}`, 'VonageUnavailable');
  }

  return {
    records(query) {
      const params = new URLSearchParams({
        account_id: query.accountId,
        product: 'SMS',
        direction: query.direction,
        date_start: isoTime(query.dateStart, 'dateStart'),
        date_end: isoTime(query.dateEnd, 'dateEnd'),
        include_message: 'false',
      });
      return page(`${baseUrl}/v2/reports/records?${params}`);
    },

    recordsAt(next) {
      return page(onConfiguredHost(next));
    },

    async createReport(query) {
      const answer = (await call('POST', `${baseUrl}/v2/reports`, {
        account_id: query.accountId,
        product: 'SMS',
        direction: query.direction,
        date_start: isoTime(query.dateStart, 'dateStart'),
        date_end: isoTime(query.dateEnd, 'dateEnd'),
        include_message: false,
      })) as ReportAnswer;
      if (typeof answer.request_id !== 'string' || answer.request_id === '') {
        throw ApplicationFailure.retryable('Vonage accepted the report request but named no request_id', 'VonageUnavailable');
      }
      return { requestId: answer.request_id };
    },

    async reportStatus(requestId) {
      const answer = (await call('GET', `${baseUrl}/v2/reports/${encodeURIComponent(requestId)}`)) as ReportAnswer;
      const status = answer.request_status ?? answer.status;
      if (status === undefined || !REPORT_STATUSES.includes(status)) {
        throw ApplicationFailure.retryable(`Vonage gave report ${requestId} the unknown status ${String(status)}`, 'VonageUnavailable');
      }
      return { status: status as ReportStatus, downloadUrl: answer._links?.download_report?.href ?? answer.download_url ?? null };
    },

    async *downloadReport(url) {
      const target = onConfiguredHost(url);
      const what = `GET ${new URL(target).pathname}`;
      const controller = new AbortController();
      // A report may take minutes to stream: the timeout bounds each wait for Vonage, not the whole download.
      const waitForVendor = async <T>(step: () => Promise<T>): Promise<T> => {
        const timer = setTimeout(() => controller.abort(new DOMException('Vonage did not answer in time', 'TimeoutError')), timeoutMs);
        try {
          return await step();
        } catch (error) {
          throw error instanceof ApplicationFailure ? error : unavailable(what, error, timeoutMs);
        } finally {
          clearTimeout(timer);
        }
      };
      const response = await waitForVendor(() => fetch(target, { headers: { authorization }, signal: controller.signal }));
      try {
        if (!response.ok) {
          const text = await waitForVendor(() => response.text());
          throw failureOf(response, text, false);
        }
        if (response.body === null) throw ApplicationFailure.retryable(`Vonage answered ${what} without a body`, 'VonageUnavailable');
        const reader = response.body.getReader();
        const zip = async function* (): AsyncIterable<Uint8Array> {
          for (;;) {
            const chunk = await waitForVendor(() => reader.read());
            if (chunk.done) return;
            yield chunk.value;
          }
        };
        yield* readVonageReportCsv(unzipReportCsv(zip()));
      } finally {
        controller.abort();
      }
    },
  };
}

/** The query's times in the form the spec names (`yyyy-mm-ddThh:mm:ss.sssZ`). */
function isoTime(text: string, field: string): string {
  const time = new Date(text);
  if (Number.isNaN(time.getTime())) {
    throw ApplicationFailure.nonRetryable(`${field} is not an ISO 8601 time: ${JSON.stringify(text)}`, 'VonageQueryInvalid');
  }
  return time.toISOString();
}

function withCursor(url: string, cursor: string, iv: string): string {
  const next = new URL(url);
  next.searchParams.set('cursor', cursor);
  next.searchParams.set('iv', iv);
  return next.toString();
}

/** Vonage's JSON has numbers where its CSV has text; records are kept as text either way. */
function asVonageRecord(record: Record<string, unknown>): VonageRecord {
  const values: VonageRecord = {};
  for (const [name, value] of Object.entries(record)) {
    if (value === null || value === undefined) continue;
    values[name] = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return values;
}

function unavailable(what: string, error: unknown, timeoutMs: number): ApplicationFailure {
  const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
  const reason = timedOut ? `no answer within ${timeoutMs} ms` : `the connection failed (${(error as Error).message ?? String(error)})`;
  return ApplicationFailure.create({ type: 'VonageUnavailable', message: `Vonage ${what}: ${reason}`, nonRetryable: false, cause: error as Error });
}

function failureOf(response: Response, body: string, carriedCursor: boolean): Error {
  const problem = problemIn(body);
  if (carriedCursor && problem !== null && saysCursorExpired(problem) && response.status >= 400 && response.status < 500 && response.status !== 429) {
    return new VonageCursorExpired(`Vonage refused the page cursor: ${problemText(problem)}`);
  }
  const wait = retryAfterMs(response.headers.get('retry-after')) ?? (response.status === 429 ? THROTTLE_DELAY_MS : undefined);
  return vendorFailure('Vonage', response.status, problem === null ? body : problemText(problem), wait);
}

function problemIn(body: string): Problem | null {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Problem) : null;
  } catch {
    return null;
  }
}

function saysCursorExpired(problem: Problem): boolean {
  const words = [problem.type, problem.title, problem.detail, ...(problem.invalid_parameters ?? []).map((p) => `${p.name} ${p.reason}`)];
  return words.some((text) => typeof text === 'string' && /cursor/i.test(text) && /expired/i.test(text));
}

/** The problem in one line: what Vonage said was wrong, and its instance id for Vonage support. */
function problemText(problem: Problem): string {
  const parameters = (problem.invalid_parameters ?? []).map((p) => `${p.name}: ${p.reason}`);
  const parts = [problem.title, problem.detail, ...parameters].filter((part) => typeof part === 'string' && part !== '');
  const text = parts.join('; ') || JSON.stringify(problem);
  return redactPhoneNumbers(problem.instance === undefined ? text : `${text} (instance ${problem.instance})`);
}
