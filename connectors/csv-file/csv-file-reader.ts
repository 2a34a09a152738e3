import type { FileEncoding } from '../../workflows/migration-input.ts';
import { detectDelimiter, readRecord } from './csv-record.ts';
import type { RecordRead } from './csv-record.ts';
import { readFileLines } from './file-lines.ts';
import type { FileLine } from './file-lines.ts';
import { RowFingerprints } from './row-fingerprint.ts';

export interface CsvFileOptions {
  /** Left out: detected (see `readFileLines`). */
  encoding?: FileEncoding;
  /** Left out: the candidate found most often in the header line. */
  delimiter?: string;
}

export type CsvFileEntry =
  /**
   * Always first. `encoding` is what the file's first chunk (1 MiB) showed: a BOM's, the one given, or from
   * the per-line reading 'utf-8', 'windows-1256' or 'mixed'. Only lines with non-ASCII bytes count, so an
   * ASCII header does not hide a Windows-1256 file; lines past the first chunk are still read right.
   */
  | { kind: 'header'; columns: string[]; delimiter: string; encoding: FileEncoding | 'mixed' }
  | { kind: 'row'; fileLine: number; fields: Record<string, string>; fingerprint: string }
  | { kind: 'broken'; fileLine: number; reason: string; content: string };

/** A quote still open this many lines after its record started is taken as a stray quote, not a long value. */
const MAX_RECORD_LINES = 100;

/**
 * Reads any CSV export as it streams from disk. Broken records never stop the reading nor take good rows with
 * them: each comes out as a `broken` entry with the line it starts on, and reading goes on at the next line
 * (after an unclosed quote, at the line after the quote's). Throws when the file is empty or has no header.
 */
export async function* readCsvFile(path: string, options: CsvFileOptions = {}): AsyncIterable<CsvFileEntry> {
  let header: { columns: string[]; delimiter: string } | undefined;
  let encoding: FileEncoding | 'mixed' = 'utf-8';
  const fingerprints = new RowFingerprints();

  /** The entries of the records that start in `lines`; returns the lines of a record still waiting for its end. */
  function* readRecords(lines: FileLine[], atEnd: boolean): Generator<CsvFileEntry, FileLine[]> {
    let index = 0;
    while (index < lines.length) {
      const first = lines[index]!;
      if (first.text === '') {
        index++;
        continue;
      }
      const delimiter = header?.delimiter ?? options.delimiter ?? detectDelimiter(first.text);
      const end = Math.min(lines.length, index + MAX_RECORD_LINES);
      const read = readRecord(lines, index, end, delimiter);
      if (read.kind === 'open' && !atEnd && end - index < MAX_RECORD_LINES) break; // its end may be in the next chunk
      const { lineCount, values, reason: recordReason } = outcomeOf(read, header?.columns.length);
      const used = lines.slice(index, index + lineCount);
      index += lineCount;
      const reason = recordReason ?? used.find((line) => line.problem !== undefined)?.problem;

      if (header === undefined) {
        if (reason !== undefined) throw new Error(`${path}: the header line cannot be read: ${reason}`);
        header = { columns: headerColumns(path, values), delimiter };
        yield { kind: 'header', columns: header.columns, delimiter, encoding };
        continue;
      }
      if (reason !== undefined) {
        yield { kind: 'broken', fileLine: first.number, reason, content: used.map((line) => line.text).join('\n') };
      } else {
        yield { kind: 'row', fileLine: first.number, fields: fieldsOf(header.columns, values), fingerprint: fingerprints.next(values) };
      }
    }
    return lines.slice(index);
  }

  let waiting: FileLine[] = [];
  for await (const batch of readFileLines(path, options.encoding)) {
    if (header === undefined) encoding = batch.encoding;
    waiting = yield* readRecords(waiting.length > 0 ? waiting.concat(batch.lines) : batch.lines, false);
  }
  yield* readRecords(waiting, true);
  if (header === undefined) throw new Error(`${path} is empty: a CSV file needs a header line naming its columns`);
}

/**
 * The lines a record takes, and why it is broken if it is. A quoted new line that ends in a broken record is
 * most likely a stray quote: quarantining its line alone lets the lines the quote ran into be read as the
 * records they are.
 */
function outcomeOf(read: RecordRead, columnCount: number | undefined): { lineCount: number; values: string[]; reason?: string } {
  let reason: string;
  if (read.kind === 'open') reason = 'unclosed quote';
  else if (read.kind === 'broken') reason = read.reason;
  else if (columnCount === undefined || read.values.length === columnCount) return { lineCount: read.lineCount, values: read.values };
  else reason = `${read.values.length} field${read.values.length === 1 ? '' : 's'} where the header has ${columnCount}`;
  if (read.kind !== 'open' && read.lineCount > 1) return { lineCount: 1, values: [], reason: 'unclosed quote' };
  return { lineCount: read.kind === 'open' ? 1 : read.lineCount, values: [], reason };
}

/** A value that reads like a phone number or an email address is data, not a column name. */
const DATA_LIKE = /^\+?[\d\s().-]*\d{6}[\d\s().-]*$|^[^@\s]+@[^@\s]+\.[^@\s]+$/;

function headerColumns(path: string, written: string[]): string[] {
  const values = written.map((value) => value.trim());
  const dataLike = values.find((value) => DATA_LIKE.test(value));
  if (dataLike !== undefined || values.every((value) => value === '')) {
    const why = dataLike !== undefined ? `"${dataLike}" is a value, not a column name` : 'it names no column';
    throw new Error(`${path} has no header line: its first line reads as data (${why})`);
  }
  const duplicates = [...new Set(values.filter((value, index) => values.indexOf(value) !== index))];
  if (duplicates.length > 0) {
    throw new Error(`${path}: the header names ${duplicates.map((name) => `"${name}"`).join(', ')} more than once`);
  }
  return values;
}

function fieldsOf(columns: readonly string[], values: readonly string[]): Record<string, string> {
  // fromEntries defines each field, so even a column named "__proto__" is a field like any other.
  return Object.fromEntries(columns.map((column, index) => [column, values[index]!]));
}
