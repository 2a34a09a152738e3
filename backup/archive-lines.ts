import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { Selectable } from 'kysely';
import type { QuarantinedRowTable, StagedRowTable } from '../database/schema.ts';

/** Every column of a staged row, as archived: the archive is the raw extract, not a summary of it. */
export const stagedColumns = [
  'migration_id',
  'source',
  'line_no',
  'channel',
  'phone_raw',
  'name',
  'country',
  'last_interaction_at',
  'viber_user_id',
  'raw',
  'record_key',
  'file_line',
  'direction',
  'delivery_status',
] as const;

/** A quarantined row without its serial id, which only means something in the database it came from. */
export const quarantinedColumns = ['migration_id', 'source', 'file', 'file_line', 'reason', 'content', 'created_at'] as const;

/** A staged row as one archive line holds it: dates as ISO strings, `raw` as the object it was. */
export type ArchivedStagedRow = Omit<Selectable<StagedRowTable>, 'last_interaction_at'> & { last_interaction_at: string | null };

export type ArchivedQuarantinedRow = Omit<Selectable<QuarantinedRowTable>, 'id' | 'created_at'> & { created_at: string };

/** One line of an archive: `{"staged":{...}}` for each staged row, then `{"quarantined":{...}}` for each quarantined one. */
export type ArchiveLine = { staged: ArchivedStagedRow } | { quarantined: ArchivedQuarantinedRow };

/** Reads a `.jsonl.gz` archive line by line, so a source of any size is read in constant memory. */
export async function* archiveLines(path: string): AsyncGenerator<ArchiveLine> {
  const file = createReadStream(path);
  const gunzip = createGunzip();
  // `pipe` does not pass a read error on; without this a missing file would leave the loop waiting forever.
  file.on('error', (error) => gunzip.destroy(error));
  file.pipe(gunzip);

  const decoder = new TextDecoder('utf-8', { fatal: true });
  let pending = '';
  let lineNo = 0;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      const lines = (pending + decoder.decode(chunk, { stream: true })).split('\n');
      pending = lines.pop()!;
      for (const line of lines) yield parseLine(line, ++lineNo);
    }
    pending += decoder.decode();
    if (pending !== '') yield parseLine(pending, ++lineNo);
  } finally {
    // A reader that stops early (it found what it looked for) closes the file too, not only the gunzip.
    file.destroy();
  }
}

function parseLine(text: string, lineNo: number): ArchiveLine {
  let line: unknown;
  try {
    line = JSON.parse(text);
  } catch {
    throw new Error(`line ${lineNo} is not JSON`);
  }
  const isRow = (value: unknown) => typeof value === 'object' && value !== null;
  if (typeof line !== 'object' || line === null || !(isRow((line as { staged?: unknown }).staged) || isRow((line as { quarantined?: unknown }).quarantined))) {
    throw new Error(`line ${lineNo} is neither a staged nor a quarantined row`);
  }
  return line as ArchiveLine;
}
