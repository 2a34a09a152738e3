import { pipeline, Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { redactPhoneNumbers } from '../../privacy/redact-phone-numbers.ts';
import type { VonageRecord } from './reports-client.ts';

/** The columns every Vonage SMS report has, whichever the direction; without them a file is not one. */
const REPORT_KEY_COLUMNS = ['message_id', 'direction', 'from', 'to', 'date_received'] as const;

interface ParsedRecord {
  record: Record<string, string>;
  info: { lines: number };
}

/**
 * Reads the CSV of a Vonage report (header row, then a record per message) as it streams in. `line` is the
 * 1-based line where a record starts, so a record whose message text spans lines is found where it begins.
 */
export async function* readVonageReportCsv(
  input: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
): AsyncIterable<{ record: VonageRecord; line: number }> {
  let headerSeen = false;
  const parser = parse({
    bom: true,
    skip_empty_lines: true,
    info: true,
    columns: (header: string[]) => {
      const names = header.map((name) => name.trim());
      const missing = REPORT_KEY_COLUMNS.filter((column) => !names.includes(column));
      if (missing.length > 0) {
        throw new Error(`the first line is not a Vonage report header: it lacks ${missing.join(', ')}`);
      }
      headerSeen = true;
      return names;
    },
  });
  // pipeline, not pipe: a failing input must fail the parse, and an abandoned parse must close the input.
  pipeline(Readable.from(input as AsyncIterable<Uint8Array>), parser, () => {});
  try {
    for await (const { record, info } of parser as AsyncIterable<ParsedRecord>) {
      yield { record, line: info.lines - lineBreaksIn(record) };
    }
  } catch (error) {
    // csv-parse quotes the field it choked on, which may be someone's number.
    throw new Error(`Vonage report CSV: ${redactPhoneNumbers((error as Error).message)}`, { cause: error });
  } finally {
    parser.destroy();
  }
  if (!headerSeen) throw new Error('Vonage report CSV: the file is empty, not even a header row');
}

/** csv-parse counts lines up to a record's end; a quoted message text may have taken several. */
function lineBreaksIn(record: Record<string, string>): number {
  let breaks = 0;
  for (const value of Object.values(record)) breaks += value.match(/\r\n|\r|\n/g)?.length ?? 0;
  return breaks;
}
