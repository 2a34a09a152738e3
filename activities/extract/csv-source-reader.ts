import { ApplicationFailure } from '@temporalio/common';
import { readCsvFile, type CsvFileEntry } from '../../connectors/csv-file/csv-file-reader.ts';
import type { CsvSource } from '../../workflows/migration-input.ts';
import { mappedField, writtenDate, type QuarantinedLine, type SourceRecord } from './source-record.ts';
import { RECORDS_PER_PAGE, type SourcePage, type SourceReader } from './source-reader.ts';
import { readingOrUnreadable } from './source-unreadable.ts';

interface FileCursor {
  afterLine: number;
}

/** Any CSV export, its columns named by the source's mapping; rows that cannot be read go to quarantine. */
export function csvSourceReader(source: CsvSource): SourceReader {
  return {
    file: source.path,
    pages: (cursor) =>
      filePages(source.name, source.path, readCsvFile(source.path, { encoding: source.encoding, delimiter: source.delimiter }), cursor, {
        columns: Object.values(source.columns).filter((column) => column !== undefined),
        record: (fields, fileLine, fingerprint) => csvRowToSourceRecord(source, fields, fileLine, fingerprint),
      }),
  };
}

export interface FileRowMapping {
  /** Columns the header must have. */
  columns: string[];
  record(fields: Record<string, string>, fileLine: number, fingerprint: string): SourceRecord;
}

/** Pages of a CSV file's rows after the cursor's line: a page holds a thousand entries, rows and broken lines together. */
export async function* filePages(
  sourceName: string,
  path: string,
  entries: AsyncIterable<CsvFileEntry>,
  cursor: unknown,
  mapping: FileRowMapping,
): AsyncIterable<SourcePage> {
  const afterLine = (cursor as FileCursor | null)?.afterLine ?? 0;
  let records: SourceRecord[] = [];
  let quarantined: QuarantinedLine[] = [];
  let lastLine = afterLine;
  for await (const entry of readingOrUnreadable(sourceName, path, entries)) {
    if (entry.kind === 'header') {
      checkHeader(sourceName, path, entry.columns, mapping.columns);
      continue;
    }
    if (entry.fileLine <= afterLine) continue;
    lastLine = entry.fileLine;
    if (entry.kind === 'broken') quarantined.push({ fileLine: entry.fileLine, reason: entry.reason, content: entry.content });
    else records.push(mapping.record(entry.fields, entry.fileLine, entry.fingerprint));
    if (records.length + quarantined.length === RECORDS_PER_PAGE) {
      yield { records, quarantined, cursor: { afterLine: lastLine } satisfies FileCursor };
      records = [];
      quarantined = [];
    }
  }
  if (records.length + quarantined.length > 0) yield { records, quarantined, cursor: { afterLine: lastLine } satisfies FileCursor };
}

function checkHeader(sourceName: string, path: string, header: string[], named: string[]): void {
  const missing = named.filter((column) => !header.includes(column));
  if (missing.length === 0) return;
  throw ApplicationFailure.nonRetryable(
    `source "${sourceName}" (${path}): column(s) ${missing.map((c) => `"${c}"`).join(', ')} not in the header (${header.join(', ')})`,
    'SourceUnreadable',
  );
}

function csvRowToSourceRecord(source: CsvSource, fields: Record<string, string>, fileLine: number, fingerprint: string): SourceRecord {
  const column = (name: string | undefined) => mappedField(fields, name);
  return {
    key: `row:${fingerprint}`,
    channel: source.channel ?? 'sms',
    phone: column(source.columns.phone),
    name: column(source.columns.name),
    country: column(source.columns.country)?.toUpperCase() ?? null,
    interactionAt: writtenDate(column(source.columns.lastInteraction)),
    direction: null,
    deliveryStatus: null,
    viberUserId: column(source.columns.viberUserId),
    fileLine,
    raw: fields,
  };
}
