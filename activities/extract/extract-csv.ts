import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Insertable } from 'kysely';
import type { StagedRowTable } from '../../database/schema.ts';
import type { CsvSource } from '../../workflows/migration-input.ts';
import { redactPhoneNumbers } from '../../privacy/redact-phone-numbers.ts';
import type { ActivityDependencies } from '../dependencies.ts';

const ROWS_PER_INSERT = 1000;

export interface ExtractResult {
  rows: number;
}

/**
 * Copies a CSV file into staging, a row per line as read. Rows are keyed by their line number, so a retry
 * after a crash skips what is already staged (from the heartbeat) and cannot stage a row twice.
 */
export function extractCsvActivity({ db }: Pick<ActivityDependencies, 'db'>) {
  return async function extractCsv(migrationId: string, source: CsvSource): Promise<ExtractResult> {
    const context = Context.current();
    const resumeAfterLine = (context.info.heartbeatDetails as number | undefined) ?? 0;
    const file = createReadStream(source.path);
    const parser = file.pipe(
      parse({ columns: checkedHeader(source), bom: true, skip_empty_lines: true, relax_column_count: true, info: true }),
    );
    // pipe() does not pass the file's errors on; the loop below must see them.
    file.once('error', (error) => parser.destroy(error));
    const records = (parser as AsyncIterable<ParsedRecord>)[Symbol.asyncIterator]();
    let pending: StagedRow[] = [];
    for (;;) {
      // Only reading fails the run for good; a database error while staging stays retryable.
      const next = await records.next().catch((error: unknown) => {
        throw unreadable(source, error);
      });
      if (next.done) break;
      const { record, info } = next.value;
      if (info.lines <= resumeAfterLine) continue;
      pending.push(toStagedRow(migrationId, source, record, info.lines));
      if (pending.length === ROWS_PER_INSERT) {
        await stage(pending);
        context.heartbeat(info.lines);
        pending = [];
      }
    }
    await stage(pending);

    const { rows } = await db
      .selectFrom('staged_rows')
      .select((e) => e.fn.countAll<number>().as('rows'))
      .where('migration_id', '=', migrationId)
      .where('source', '=', source.name)
      .executeTakeFirstOrThrow();
    return { rows: Number(rows) };
  };

  async function stage(rows: StagedRow[]): Promise<void> {
    if (rows.length === 0) return;
    await db.insertInto('staged_rows').values(rows).onConflict((c) => c.doNothing()).execute();
  }
}

type StagedRow = Insertable<StagedRowTable>;
type ParsedRecord = { record: Record<string, string>; info: { lines: number } };

function toStagedRow(migrationId: string, source: CsvSource, record: Record<string, string>, line: number): StagedRow {
  const column = (name: string | undefined) => (name === undefined ? null : (record[name]?.trim() || null));
  return {
    migration_id: migrationId,
    source: source.name,
    line_no: line,
    channel: source.channel ?? 'sms',
    phone_raw: column(source.columns.phone),
    name: column(source.columns.name),
    country: column(source.columns.country)?.toUpperCase() ?? null,
    last_interaction_at: interactionDate(column(source.columns.lastInteraction)),
    viber_user_id: column(source.columns.viberUserId),
    raw: JSON.stringify(record),
  };
}

/** A date that does not read as one is left out of the merge; the row keeps it as written in `raw`. */
function interactionDate(text: string | null): Date | null {
  if (text === null) return null;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date;
}

function checkedHeader(source: CsvSource) {
  return (header: string[]): string[] => {
    const named = Object.values(source.columns).filter((column) => column !== undefined);
    const missing = named.filter((column) => !header.includes(column));
    if (missing.length > 0) {
      throw new Error(`column(s) ${missing.map((c) => `"${c}"`).join(', ')} not in the header (${header.join(', ')})`);
    }
    return header;
  };
}

function unreadable(source: CsvSource, error: unknown): ApplicationFailure {
  const code = (error as NodeJS.ErrnoException).code;
  // A parser's message may quote the field it choked on: the number in it stays out of the history.
  const reason = code === 'ENOENT' ? 'the file does not exist' : redactPhoneNumbers(String((error as Error).message ?? error));
  // A missing or broken file will not mend itself: fail the run with the reason instead of retrying forever.
  return ApplicationFailure.nonRetryable(`source "${source.name}" (${source.path}): ${reason}`, 'SourceUnreadable');
}
