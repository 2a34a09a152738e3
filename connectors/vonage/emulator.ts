import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { text } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'csv-stringify/sync';
import { zipSync } from 'fflate';
import { listenOnLoopback } from '../loopback-server.ts';
import type { VonageRecord } from './reports-client.ts';
import { formatVonageTime, parseVonageTime } from './vonage-time.ts';
import { seededRandom } from '../seeded-random.ts';
import { busiestWindow } from '../busiest-window.ts';

export interface VonageEmulatorOptions {
  port?: number;
  /** The account's API key, which is also its account id (8 characters). */
  apiKey?: string;
  apiSecret?: string;
  /** The account's SMS history, both directions: what the Reports API answers from. */
  records: VonageRecord[];
  /** Records per sync page; Vonage's is 1,000. */
  pageSize?: number;
  syncPerSecond?: number;
  asyncPerSecond?: number;
  /** How many status polls answer PENDING or PROCESSING before a report is ready. */
  reportPollsUntilReady?: number;
  faults?: VonageFaults;
}

export interface VonageFaults {
  /** Share of requests answered 500 or 503. */
  serverErrorRate?: number;
  /** Share of requests answered 429 on top of the rate limits. */
  throttleRate?: number;
  /** Share of requests whose answer is held `hangMs` (default 35 s), past any sensible client timeout. */
  timeoutRate?: number;
  hangMs?: number;
  /** Every answer takes this long. */
  slowPageMs?: number;
  /** Page cursors older than this are refused as expired. */
  cursorTtlMs?: number;
  /** The same seed gives the same faults for the same sequence of requests. */
  seed?: number;
}

export interface VonageEmulator {
  url: string;
  apiKey: string;
  apiSecret: string;
  accountId: string;
  /** Every request received, in order of arrival; `at` is performance.now(), `status` 0 while unanswered. */
  requests(): { at: number; path: string; status: number }[];
  /** The most requests of the kind that arrived within any rolling second, refused ones included. */
  maxRequestsPerSecond(kind: 'sync' | 'async'): number;
  close(): Promise<void>;
}

type RequestKind = 'sync' | 'async' | 'download' | 'other';

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

interface InvalidParameter {
  name: string;
  reason: string;
}

interface StoredRecord {
  record: VonageRecord;
  receivedAt: number;
}

interface Report {
  id: string;
  fileId: string;
  product: string;
  direction: string | undefined;
  dateStart: string;
  dateEnd: string;
  includeMessage: boolean;
  status: string | undefined;
  receivedAt: Date;
  polls: number;
  zip: Uint8Array | null;
  itemsCount: number;
}

/** What a cursor remembers, sealed so a client can neither read nor forge it. */
interface CursorState {
  offset: number;
  issuedAt: number;
  query: string;
}

// The sync endpoint's product list; the async one (POST /v2/reports) takes fewer (spec 2.1.17).
const SYNC_PRODUCTS = ['SMS', 'VOICE-CALL', 'VOICE-FAILED', 'WEBSOCKET-CALL', 'VERIFY-API', 'NUMBER-INSIGHT', 'MESSAGES', 'CONVERSATIONS', 'ASR', 'REPORTS-USAGE'];
const ASYNC_PRODUCTS = ['SMS', 'VOICE-CALL', 'WEBSOCKET-CALL', 'VERIFY-API', 'NUMBER-INSIGHT', 'MESSAGES', 'CONVERSATIONS', 'ASR'];
const PRODUCTS_WITH_DIRECTION = ['SMS', 'MESSAGES'];
const DIRECTIONS = ['inbound', 'outbound'];
const SMS_STATUSES = ['delivered', 'expired', 'failed', 'rejected', 'accepted', 'buffered', 'unknown', 'deleted'];
const BOOLEANS = ['true', 'false'];
// The spec asks for `yyyy-mm-ddThh:mm:ss[.sss]±hh:mm` or `...Z`; its own examples write the offset as `+0000`.
const ISO_TIME_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})$/i;
const SYNC_RANGE_MS = 24 * 60 * 60 * 1000;
const ASYNC_DEFAULT_RANGE_MS = 7 * 24 * 60 * 60 * 1000;
const ONE_SECOND_MS = 1000;
const REPORT_COLUMNS = {
  inbound: ['account_id', 'message_id', 'direction', 'from', 'to', 'message_body', 'network', 'network_name', 'country', 'country_name', 'date_received', 'currency', 'total_price'],
  outbound: [
    'account_id', 'message_id', 'client_ref', 'direction', 'from', 'to', 'message_body', 'network', 'network_name', 'country', 'country_name',
    'date_received', 'date_finalized', 'latency', 'status', 'error_code', 'error_code_description', 'currency', 'total_price',
  ],
} as const;

const ERRORS = 'https://developer.nexmo.com/api-errors';

function problem(status: number, fields: { type: string; title: string; detail: string; invalid_parameters?: InvalidParameter[] }): Answer {
  return { status, body: { ...fields, instance: randomBytes(16).toString('hex') } };
}

function invalidParameters(parameters: InvalidParameter[]): Answer {
  return problem(422, {
    type: `${ERRORS}/reports#invalid-request-parameters`,
    title: 'Unprocessable entity',
    detail: 'The request parameters are invalid. See invalid_parameters for details.',
    invalid_parameters: parameters,
  });
}

const missing = (name: string): InvalidParameter => ({ name, reason: 'Missing required parameter' });

function kindOf(path: string): RequestKind {
  if (path === '/v2/reports/records') return 'sync';
  if (path === '/v2/reports' || /^\/v2\/reports\/[^/]+$/.test(path)) return 'async';
  if (/^\/v3\/media\/[^/]+$/.test(path)) return 'download';
  return 'other';
}

/**
 * Vonage's Reports API for an account's SMS history, as strict as the spec (nexmo-reports.yml 2.1.17 and the
 * newer pagination guide): Basic auth, validated queries with RFC 7807 answers, sync pages of 1,000 behind a
 * sealed cursor, async reports that take a few polls and arrive as a zipped CSV, per-second limits that answer
 * 429, and seeded faults (server errors, throttling, hangs, slow answers, expiring cursors).
 */
export async function startVonageEmulator(options: VonageEmulatorOptions): Promise<VonageEmulator> {
  const apiKey = options.apiKey ?? 'abcd1234';
  const apiSecret = options.apiSecret ?? 'emulator-secret';
  const accountId = apiKey;
  const pageSize = options.pageSize ?? 1000;
  const limits = { sync: options.syncPerSecond ?? 10, async: options.asyncPerSecond ?? 5 };
  const pollsUntilReady = options.reportPollsUntilReady ?? 2;
  const faults = options.faults ?? {};
  const random = seededRandom(faults.seed ?? 1);
  const cursorKey = randomBytes(32);
  const closing = new AbortController();
  const log: { at: number; path: string; status: number }[] = [];
  const arrivals = { sync: [] as number[], async: [] as number[] };
  const reports = new Map<string, Report>();
  let url = '';

  const history: StoredRecord[] = options.records
    .map((record, index) => {
      const receivedAt = parseVonageTime(record.date_received ?? '');
      if (receivedAt === null) throw new Error(`records[${index}]: date_received ${JSON.stringify(record.date_received)} is not a time`);
      return { record, receivedAt: receivedAt.getTime() };
    })
    .sort((a, b) => a.receivedAt - b.receivedAt || compare(a.record.message_id ?? '', b.record.message_id ?? ''));
  // Each direction in Vonage's order, so a window is found by halving rather than by a scan per page.
  const byDirection = new Map(DIRECTIONS.map((direction) => [direction, history.filter(({ record }) => record.direction === direction)]));

  /** Counts an arrival and says whether it is over the kind's limit for the rolling second. */
  function overLimit(kind: 'sync' | 'async', at: number): boolean {
    const times = arrivals[kind];
    times.push(at);
    let inWindow = 0;
    for (let i = times.length - 1; i >= 0 && times[i]! > at - ONE_SECOND_MS; i--) inWindow++;
    return inWindow > limits[kind];
  }

  function authorized(req: IncomingMessage): boolean {
    const [scheme, encoded] = (req.headers.authorization ?? '').split(' ');
    if (scheme?.toLowerCase() !== 'basic' || encoded === undefined) return false;
    return Buffer.from(encoded, 'base64').toString() === `${apiKey}:${apiSecret}`;
  }

  function forbidden(): Answer {
    return problem(403, { type: `${ERRORS}#forbidden`, title: 'Forbidden', detail: 'User not authorized to query the requested data.' });
  }

  function checkTime(value: string | undefined, name: string, parameters: InvalidParameter[]): number | undefined {
    if (value === undefined) return undefined;
    const time = ISO_TIME_WITH_ZONE.test(value) ? parseVonageTime(value) : null;
    if (time !== null) return time.getTime();
    parameters.push({ name, reason: 'Invalid date format. Use yyyy-mm-ddThh:mm:ss[.sss]±hh:mm or yyyy-mm-ddThh:mm:ss[.sss]Z' });
    return undefined;
  }

  function checkEnum(value: string | undefined, name: string, allowed: readonly string[], parameters: InvalidParameter[]): void {
    if (value !== undefined && !allowed.includes(value)) parameters.push({ name, reason: `Must be one of [${allowed.join(', ')}]` });
  }

  function checkAccountAndProduct(accountIdParam: string | undefined, product: string | undefined, products: readonly string[], parameters: InvalidParameter[]): void {
    if (accountIdParam === undefined) parameters.push(missing('account_id'));
    else if (accountIdParam.length !== 8) parameters.push({ name: 'account_id', reason: 'Must be exactly 8 characters' });
    if (product === undefined) parameters.push(missing('product'));
    else if (!products.includes(product)) {
      parameters.push({ name: 'product', reason: `Could not resolve product name. Please use one of the following values [${products.join(', ')}]` });
    }
  }

  function matching(direction: string | undefined, product: string, from: number, until: number, status: string | undefined): StoredRecord[] {
    // The emulated account only has SMS traffic: any other product has no records.
    if (product !== 'SMS') return [];
    const sorted = byDirection.get(direction ?? '') ?? [];
    const window = sorted.slice(firstAtOrAfter(sorted, from), firstAtOrAfter(sorted, until));
    return status === undefined ? window : window.filter(({ record }) => record.status === status);
  }

  function sealCursor(state: CursorState): { cursor: string; iv: string } {
    const iv = randomBytes(16);
    const cipher = createCipheriv('aes-256-cbc', cursorKey, iv);
    const sealed = Buffer.concat([cipher.update(JSON.stringify(state)), cipher.final()]);
    return { cursor: sealed.toString('base64url'), iv: iv.toString('base64url') };
  }

  function openCursor(cursor: string, iv: string): CursorState | null {
    try {
      const decipher = createDecipheriv('aes-256-cbc', cursorKey, Buffer.from(iv, 'base64url'));
      const state = JSON.parse(Buffer.concat([decipher.update(Buffer.from(cursor, 'base64url')), decipher.final()]).toString()) as CursorState;
      return Number.isInteger(state.offset) && typeof state.query === 'string' ? state : null;
    } catch {
      return null;
    }
  }

  function syncRecords(requestUrl: URL): Answer {
    const params = requestUrl.searchParams;
    const param = (name: string) => params.get(name) ?? undefined;
    const [product, direction, id, status] = [param('product'), param('direction'), param('id'), param('status')];
    const [dateStart, dateEnd, cursor, iv] = [param('date_start'), param('date_end'), param('cursor'), param('iv')];
    const includeMessage = param('include_message');
    const showConcatenated = param('show_concatenated');

    const parameters: InvalidParameter[] = [];
    checkAccountAndProduct(param('account_id'), product, SYNC_PRODUCTS, parameters);
    if (product !== undefined && PRODUCTS_WITH_DIRECTION.includes(product) && direction === undefined) parameters.push(missing('direction'));
    checkEnum(direction, 'direction', DIRECTIONS, parameters);
    checkEnum(status, 'status', SMS_STATUSES, parameters);
    checkEnum(includeMessage, 'include_message', BOOLEANS, parameters);
    checkEnum(showConcatenated, 'show_concatenated', BOOLEANS, parameters);
    if (id !== undefined && (dateStart !== undefined || dateEnd !== undefined || status !== undefined)) {
      const given = ['date_start', 'date_end', 'status'].filter((name) => params.has(name));
      return problem(422, {
        type: `${ERRORS}/reports#invalid-filter`,
        title: 'Invalid filter',
        detail: `When using id, the following parameters are not supported: [${given.join(', ')}]`,
      });
    }
    if (id === undefined && dateStart === undefined) parameters.push(missing('date_start'));
    if (id === undefined && dateEnd === undefined) parameters.push(missing('date_end'));
    const from = checkTime(dateStart, 'date_start', parameters);
    const until = checkTime(dateEnd, 'date_end', parameters);
    if (from !== undefined && until !== undefined && until <= from) parameters.push({ name: 'date_end', reason: 'Must be later than date_start' });
    if (from !== undefined && until !== undefined && until - from > SYNC_RANGE_MS) {
      parameters.push({ name: 'date_end', reason: 'Must be no more than 24 hours later than date_start' });
    }
    if (cursor !== undefined && iv === undefined) parameters.push(missing('iv'));
    if (iv !== undefined && cursor === undefined) parameters.push(missing('cursor'));
    if (parameters.length > 0) return invalidParameters(parameters);
    if (param('account_id') !== accountId) return forbidden();

    // A cursor is good only for the query it came from; the query is everything but the cursor itself.
    const query = [...params].filter(([name]) => name !== 'cursor' && name !== 'iv').map(([n, v]) => `${n}=${v}`).sort().join('&');
    let offset = 0;
    if (cursor !== undefined && iv !== undefined) {
      const state = openCursor(cursor, iv);
      if (state === null || state.query !== query) return invalidParameters([{ name: 'cursor', reason: 'Invalid cursor for this query' }]);
      if (faults.cursorTtlMs !== undefined && Date.now() - state.issuedAt > faults.cursorTtlMs) {
        return problem(400, {
          type: `${ERRORS}/reports#cursor-expired`,
          title: 'Cursor expired',
          detail: 'The cursor has expired. Repeat the query without cursor and iv to read from the start.',
          invalid_parameters: [{ name: 'cursor', reason: 'Cursor expired' }],
        });
      }
      offset = state.offset;
    }

    const ids = id?.split(',').map((one) => one.trim()).filter((one) => one !== '');
    const found =
      ids === undefined
        ? matching(direction, product!, from!, until!, status)
        : history.filter(({ record }) => product === 'SMS' && record.direction === direction && ids.includes(record.message_id ?? ''));
    const idsNotFound = ids?.filter((one) => !found.some(({ record }) => record.message_id === one));
    const page = found.slice(offset, offset + pageSize).map(({ record }) => withoutMessage(record, includeMessage === 'true'));
    const more = offset + pageSize < found.length;
    const sealed = more ? sealCursor({ offset: offset + pageSize, issuedAt: Date.now(), query }) : undefined;
    const self = `${url}${requestUrl.pathname}${requestUrl.search}`;
    let next: string | undefined;
    if (sealed !== undefined) {
      const nextUrl = new URL(self);
      nextUrl.searchParams.set('cursor', sealed.cursor);
      nextUrl.searchParams.set('iv', sealed.iv);
      next = nextUrl.toString();
    }
    return {
      status: 200,
      body: {
        _links: { self: { href: self }, ...(next === undefined ? {} : { next: { href: next } }) },
        request_id: randomUUID(),
        request_status: more ? 'TRUNCATED' : 'SUCCESS',
        received_at: formatVonageTime(new Date()),
        price: 0,
        currency: 'EUR',
        account_id: accountId,
        product,
        ...(direction === undefined ? {} : { direction }),
        include_message: includeMessage === 'true',
        show_concatenated: showConcatenated === 'true',
        ...(sealed ?? {}),
        ...(idsNotFound !== undefined && idsNotFound.length > 0 ? { ids_not_found: idsNotFound.join(',') } : {}),
        items_count: page.length,
        records: page,
      },
    };
  }

  function createReport(rawBody: string): Answer {
    let body: unknown;
    try {
      body = JSON.parse(rawBody);
    } catch {
      body = undefined;
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return problem(400, { type: `${ERRORS}#invalid-json`, title: 'Malformed JSON', detail: 'Malformed JSON payload.' });
    }
    const fields = body as Record<string, unknown>;
    const parameters: InvalidParameter[] = [];
    const text = (name: string): string | undefined => {
      const value = fields[name];
      if (value === undefined) return undefined;
      if (typeof value === 'string') return value;
      parameters.push({ name, reason: 'Must be a string' });
      return undefined;
    };
    const [product, direction, status, dateStart, dateEnd] = [text('product'), text('direction'), text('status'), text('date_start'), text('date_end')];
    checkAccountAndProduct(text('account_id'), product, ASYNC_PRODUCTS, parameters);
    if (product !== undefined && PRODUCTS_WITH_DIRECTION.includes(product) && direction === undefined) parameters.push(missing('direction'));
    checkEnum(direction, 'direction', DIRECTIONS, parameters);
    checkEnum(status, 'status', SMS_STATUSES, parameters);
    for (const flag of ['include_message', 'include_subaccounts', 'show_concatenated']) {
      if (fields[flag] !== undefined && typeof fields[flag] !== 'boolean') parameters.push({ name: flag, reason: 'Must be a boolean' });
    }
    const receivedAt = new Date();
    // Unlike the sync API, a report may span any range; without dates it covers the last seven days.
    const from = checkTime(dateStart, 'date_start', parameters) ?? receivedAt.getTime() - ASYNC_DEFAULT_RANGE_MS;
    const until = checkTime(dateEnd, 'date_end', parameters) ?? receivedAt.getTime();
    if (until <= from) parameters.push({ name: 'date_end', reason: 'Must be later than date_start' });
    if (parameters.length > 0) return invalidParameters(parameters);
    if (fields.account_id !== accountId) return forbidden();

    const report: Report = {
      id: randomUUID(),
      fileId: randomUUID(),
      product: product!,
      direction,
      dateStart: dateStart ?? formatVonageTime(new Date(from)),
      dateEnd: dateEnd ?? formatVonageTime(new Date(until)),
      includeMessage: fields.include_message === true,
      status,
      receivedAt,
      polls: 0,
      zip: null,
      itemsCount: 0,
    };
    reports.set(report.id, report);
    return { status: 200, body: { ...reportFields(report), request_status: 'PENDING' } };
  }

  function reportFields(report: Report) {
    return {
      request_id: report.id,
      product: report.product,
      account_id: accountId,
      date_start: report.dateStart,
      date_end: report.dateEnd,
      ...(report.direction === undefined ? {} : { direction: report.direction }),
      ...(report.status === undefined ? {} : { status: report.status }),
      include_message: report.includeMessage,
      include_subaccounts: false,
      receive_time: formatVonageTime(report.receivedAt),
      _links: { self: { href: `${url}/v2/reports/${report.id}` } },
    };
  }

  function renderReport(report: Report): void {
    const found = matching(report.direction, report.product, parseVonageTime(report.dateStart)!.getTime(), parseVonageTime(report.dateEnd)!.getTime(), report.status);
    const direction = report.direction === 'inbound' ? 'inbound' : 'outbound';
    const columns = REPORT_COLUMNS[direction].filter((column) => report.includeMessage || column !== 'message_body');
    const csv = stringify(
      found.map(({ record }) => record),
      { header: true, columns: [...columns] },
    );
    const day = formatVonageTime(report.receivedAt).slice(0, 10).replaceAll('-', '');
    report.zip = zipSync({ [`report_${report.product}_${accountId}_${day}.csv`]: new TextEncoder().encode(csv) });
    report.itemsCount = found.length;
  }

  function reportStatus(id: string): Answer {
    const report = reports.get(id);
    if (report === undefined) {
      return problem(404, { type: `${ERRORS}#not-found`, title: 'Invalid report ID', detail: `Report ${id} does not exist, or you do not have access.` });
    }
    report.polls++;
    if (report.polls <= pollsUntilReady) {
      return { status: 200, body: { ...reportFields(report), request_status: report.polls === 1 ? 'PENDING' : 'PROCESSING' } };
    }
    if (report.zip === null) renderReport(report);
    const fields = reportFields(report);
    return {
      status: 200,
      body: {
        ...fields,
        request_status: 'SUCCESS',
        start_time: fields.receive_time,
        items_count: report.itemsCount,
        _links: { ...fields._links, download_report: { href: `${url}/v3/media/${report.fileId}` } },
      },
    };
  }

  function download(fileId: string): Answer {
    const report = [...reports.values()].find((one) => one.fileId === fileId && one.zip !== null);
    if (report === undefined) {
      return problem(404, { type: `${ERRORS}#not-found`, title: 'Not found', detail: `File ${fileId} does not exist, or you do not have access.` });
    }
    return {
      status: 200,
      body: report.zip,
      headers: { 'content-type': 'application/octet-stream', 'content-disposition': `attachment; filename="${report.product}_${report.id}.zip"` },
    };
  }

  function route(req: IncomingMessage, requestUrl: URL, rawBody: string): Answer {
    if (!authorized(req)) {
      return problem(401, { type: `${ERRORS}#unauthorized`, title: 'Unauthorized', detail: 'You did not provide correct credentials.' });
    }
    const path = requestUrl.pathname;
    if (req.method === 'GET' && path === '/v2/reports/records') return syncRecords(requestUrl);
    if (req.method === 'POST' && path === '/v2/reports') return createReport(rawBody);
    const reportId = /^\/v2\/reports\/([^/]+)$/.exec(path)?.[1];
    if (req.method === 'GET' && reportId !== undefined) return reportStatus(decodeURIComponent(reportId));
    const fileId = /^\/v3\/media\/([^/]+)$/.exec(path)?.[1];
    if (req.method === 'GET' && fileId !== undefined) return download(decodeURIComponent(fileId));
    return problem(404, { type: `${ERRORS}#not-found`, title: 'Not found', detail: `${req.method} ${path} does not exist.` });
  }

  /** The injected fault for this request, if any; a download fails only whole, never midway. */
  function fault(kind: RequestKind): Answer | undefined {
    if (kind === 'other') return undefined;
    const draw = random();
    const serverErrorRate = faults.serverErrorRate ?? 0;
    if (draw < serverErrorRate) {
      const status = random() < 0.5 ? 500 : 503;
      return problem(status, {
        type: `${ERRORS}#internal-error`,
        title: status === 500 ? 'Internal Server Error' : 'Service Unavailable',
        detail: 'An error occurred on the server. Please try again later.',
      });
    }
    if (kind !== 'download' && draw < serverErrorRate + (faults.throttleRate ?? 0)) return throttled();
    return undefined;
  }

  function send(res: ServerResponse, entry: { status: number }, answer: Answer): void {
    entry.status = answer.status;
    if (res.destroyed) return;
    const body = answer.body instanceof Uint8Array ? answer.body : JSON.stringify(answer.body);
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(body);
  }

  const server = createServer((req, res) => {
    const at = performance.now();
    const requestUrl = new URL(req.url ?? '/', 'http://emulator');
    const kind = kindOf(requestUrl.pathname);
    const entry = { at, path: requestUrl.pathname, status: 0 };
    log.push(entry);
    // The limits hold whatever else happens: every arrival counts, refused ones included.
    const limited = (kind === 'sync' || kind === 'async') && overLimit(kind, at);
    text(req).then(
      async (rawBody) => {
        const answer = limited ? throttled() : (fault(kind) ?? route(req, requestUrl, rawBody));
        const hang = (kind === 'sync' || kind === 'async') && random() < (faults.timeoutRate ?? 0) ? (faults.hangMs ?? 35_000) : 0;
        const delay = hang + (faults.slowPageMs ?? 0);
        if (delay > 0) {
          try {
            await sleep(delay, undefined, { signal: closing.signal });
          } catch {
            return;
          }
        }
        send(res, entry, answer);
      },
      () => res.destroy(),
    );
  });
  const loopback = await listenOnLoopback(server, options.port);
  url = loopback.url;

  return {
    url,
    apiKey,
    apiSecret,
    accountId,
    requests: () => log.map((entry) => ({ ...entry })),
    maxRequestsPerSecond: (kind) => busiestWindow(arrivals[kind], ONE_SECOND_MS),
    close() {
      closing.abort();
      return loopback.close();
    },
  };
}

/** Vonage's 429 names no wait (no Retry-After header found in its documentation), so neither does this one. */
function throttled(): Answer {
  return problem(429, {
    type: `${ERRORS}#throttled`,
    title: 'Too Many Requests',
    detail: 'You have exceeded the rate limit for this API. Please wait and retry.',
  });
}

function withoutMessage(record: VonageRecord, includeMessage: boolean): VonageRecord {
  if (includeMessage) return { ...record };
  const { message_body: _messageBody, ...rest } = record;
  return rest;
}

/** The index of the first record received at or after `time` in a list sorted by reception. */
function firstAtOrAfter(sorted: readonly StoredRecord[], time: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]!.receivedAt < time) low = middle + 1;
    else high = middle;
  }
  return low;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
