import { ApplicationFailure } from '@temporalio/common';
import { VonageCursorExpired, type RecordsQuery, type VonageReportsClient } from '../../connectors/vonage/reports-client.ts';
import { vonageRecordToSourceRecord } from '../../connectors/vonage/record-mapping.ts';
import type { VonageSource } from '../../workflows/migration-input.ts';
import { ExtractionPaused, type RateLimit, type RequestBudget } from './request-budget.ts';
import type { SourceRecord } from './source-record.ts';
import { RECORDS_PER_PAGE, type ExtractionPass, type SourcePage, type SourceReader } from './source-reader.ts';
import { timeWindows } from './time-windows.ts';

/** Vonage's published limits for the Reports API. */
export const VONAGE_SYNC_RATE: RateLimit = { requests: 10, intervalMs: 1000 };
export const VONAGE_ASYNC_RATE: RateLimit = { requests: 5, intervalMs: 1000 };
/** A sync query may span at most 24 hours. */
const SYNC_WINDOW_MS = 24 * 60 * 60 * 1000;
/** Vonage takes minutes per million records to make a report: asking again sooner is wasted. */
const REPORT_POLL_MS = 5000;
const DIRECTIONS = ['inbound', 'outbound'] as const;

interface SyncCursor {
  window: number;
  direction: number;
  /** `_links.next.href` of a TRUNCATED answer, or null to start the window. */
  next: string | null;
}

interface AsyncCursor {
  direction: number;
  requestId: string | null;
  /** The report CSV's last line staged. */
  line: number;
}

export interface VonageReaderContext {
  client: VonageReportsClient;
  pass: ExtractionPass;
  budget(limit: RateLimit): RequestBudget;
}

/** SMS history from Vonage's Reports API, both directions, a message per record. */
export function vonageSourceReader(source: VonageSource, context: VonageReaderContext): SourceReader {
  const from = context.pass.since ?? new Date(source.from);
  const query = (direction: number, start: Date, end: Date): RecordsQuery => ({
    accountId: source.accountId,
    direction: DIRECTIONS[direction]!,
    dateStart: start.toISOString(),
    dateEnd: end.toISOString(),
  });
  return {
    file: 'vonage-reports',
    pages: (cursor) =>
      source.mode === 'async'
        ? reportPages(context, (direction) => query(direction, from, context.pass.until), cursor as AsyncCursor | null)
        : recordPages(context, timeWindows(from, context.pass.until, SYNC_WINDOW_MS).map((w) => (direction: number) => query(direction, w.start, w.end)), cursor as SyncCursor | null),
  };
}

/** Window by window and direction by direction, following TRUNCATED answers; an expired cursor restarts its window. */
async function* recordPages(
  { client, budget }: VonageReaderContext,
  windows: ((direction: number) => RecordsQuery)[],
  cursor: SyncCursor | null,
): AsyncIterable<SourcePage> {
  const requests = budget(VONAGE_SYNC_RATE);
  let at: SyncCursor = cursor ?? { window: 0, direction: 0, next: null };
  while (at.window < windows.length) {
    await requests.take();
    let page;
    try {
      page = at.next === null ? await client.records(windows[at.window]!(at.direction)) : await client.recordsAt(at.next);
    } catch (error) {
      // Records read before the cursor expired are read again and staged once, by their message id.
      if (error instanceof VonageCursorExpired) {
        at = { ...at, next: null };
        continue;
      }
      throw error;
    }
    at = page.next !== null ? { ...at, next: page.next } : following(at);
    yield { records: page.records.map((record) => vonageRecordToSourceRecord(record, null)), quarantined: [], cursor: at };
  }
}

function following(at: SyncCursor): SyncCursor {
  return at.direction + 1 < DIRECTIONS.length ? { window: at.window, direction: at.direction + 1, next: null } : { window: at.window + 1, direction: 0, next: null };
}

/** One asynchronous report per direction: create it, wait for it durably, then stage its CSV a page at a time. */
async function* reportPages(
  { client, budget }: VonageReaderContext,
  query: (direction: number) => RecordsQuery,
  cursor: AsyncCursor | null,
): AsyncIterable<SourcePage> {
  const requests = budget(VONAGE_ASYNC_RATE);
  let at: AsyncCursor = cursor ?? { direction: 0, requestId: null, line: 0 };
  while (at.direction < DIRECTIONS.length) {
    if (at.requestId === null) {
      await requests.take();
      at = { ...at, requestId: (await client.createReport(query(at.direction))).requestId };
      yield { records: [], quarantined: [], cursor: at };
      continue;
    }
    await requests.take();
    const report = await client.reportStatus(at.requestId);
    if (report.status === 'PENDING' || report.status === 'PROCESSING') throw new ExtractionPaused(REPORT_POLL_MS, `Vonage report ${report.status}`);
    if (report.status !== 'SUCCESS' || report.downloadUrl === null) {
      throw ApplicationFailure.nonRetryable(
        `Vonage report ${at.requestId} ended ${report.status}` + (report.status === 'TRUNCATED' ? ': narrow the source\'s from/to so each report holds fewer records' : ''),
        'VonageReportFailed',
      );
    }
    await requests.take();
    let records: SourceRecord[] = [];
    for await (const { record, line } of client.downloadReport(report.downloadUrl)) {
      if (line <= at.line) continue;
      records.push(vonageRecordToSourceRecord(record, null));
      if (records.length === RECORDS_PER_PAGE) {
        at = { ...at, line };
        yield { records, quarantined: [], cursor: at };
        records = [];
      }
    }
    at = { direction: at.direction + 1, requestId: null, line: 0 };
    yield { records, quarantined: [], cursor: at };
  }
}
