import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Database, ExtractCheckpointTable } from '../../database/schema.ts';
import type { SourceRecord } from './source-record.ts';
import type { ExtractionPass, SourcePage } from './source-reader.ts';

export type Checkpoint = Selectable<ExtractCheckpointTable>;

export interface CheckpointKey {
  migrationId: string;
  source: string;
}

export interface PassRequest extends CheckpointKey {
  kind: string;
  /** Identifies the migration run asking; the same run resumes its pass, a later incremental run starts the next. */
  passId: string;
  incremental: boolean;
  /** The bounds a new pass gets, given the watermark the last pass left (null before the first). */
  bounds(watermark: Date | null): ExtractionPass;
}

/**
 * The checkpoint of the pass this run works on. A run resumes the pass it started; a finished pass stays finished
 * (running a migration again stages nothing twice) unless the run is incremental, which starts the next pass from
 * the last one's watermark.
 */
export async function beginPass(db: Kysely<Database>, request: PassRequest): Promise<Checkpoint> {
  const existing = await selectCheckpoint(db, request);
  if (!existing) {
    const bounds = request.bounds(null);
    return db
      .insertInto('extract_checkpoints')
      .values({
        migration_id: request.migrationId,
        source: request.source,
        kind: request.kind,
        pass: 1,
        pass_run_id: request.passId,
        since: bounds.since,
        until: bounds.until,
        cursor: null,
        done: false,
        watermark: null,
        next_line: 1,
        rows_staged: 0,
        quarantined: 0,
        request_times: '[]',
      })
      // Two attempts racing to start the first pass: the second one reads what the first wrote.
      .onConflict((c) => c.doNothing())
      .execute()
      .then(() => selectCheckpoint(db, request).then((row) => row!));
  }
  if (existing.kind !== request.kind) {
    throw new Error(`source "${request.source}" was extracted as ${existing.kind} in this migration; a source keeps its kind`);
  }
  if (existing.pass_run_id === request.passId || !existing.done || !request.incremental) return existing;
  const bounds = request.bounds(existing.watermark);
  return db
    .updateTable('extract_checkpoints')
    .set({ pass: existing.pass + 1, pass_run_id: request.passId, since: bounds.since, until: bounds.until, cursor: null, done: false, updated_at: new Date() })
    .where('migration_id', '=', request.migrationId)
    .where('source', '=', request.source)
    .where('pass_run_id', '=', existing.pass_run_id)
    .returningAll()
    .executeTakeFirst()
    .then(async (row) => row ?? (await selectCheckpoint(db, request))!);
}

/** Stages a page's records and quarantined lines and moves the cursor past them, all or nothing. */
export async function commitPage(db: Kysely<Database>, checkpoint: Checkpoint, file: string, page: SourcePage): Promise<Checkpoint> {
  return db.transaction().execute(async (trx) => {
    const firstLine = checkpoint.next_line;
    const nextLine = firstLine + page.records.length;
    const staged = page.records.length === 0 ? 0 : await stageRecords(trx, checkpoint, firstLine, page.records);
    const quarantinedRows = page.quarantined.map((line) => ({
      migration_id: checkpoint.migration_id,
      source: checkpoint.source,
      file,
      file_line: line.fileLine,
      reason: line.reason,
      content: line.content,
    }));
    const quarantined =
      quarantinedRows.length === 0 ? 0 : insertedCount(await trx.insertInto('quarantined_rows').values(quarantinedRows).onConflict((c) => c.doNothing()).execute());
    return trx
      .updateTable('extract_checkpoints')
      .set({
        cursor: JSON.stringify(page.cursor),
        next_line: nextLine,
        rows_staged: checkpoint.rows_staged + staged,
        quarantined: checkpoint.quarantined + quarantined,
        updated_at: new Date(),
      })
      .where('migration_id', '=', checkpoint.migration_id)
      .where('source', '=', checkpoint.source)
      .returningAll()
      .executeTakeFirstOrThrow();
  });
}

/** Marks the pass read to its end; the next incremental pass starts at its upper bound. */
export async function finishPass(db: Kysely<Database>, checkpoint: Checkpoint): Promise<Checkpoint> {
  return db
    .updateTable('extract_checkpoints')
    .set({ done: true, watermark: checkpoint.until, updated_at: new Date() })
    .where('migration_id', '=', checkpoint.migration_id)
    .where('source', '=', checkpoint.source)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function saveRequestTimes(db: Kysely<Database>, key: CheckpointKey, times: number[]): Promise<void> {
  await db
    .updateTable('extract_checkpoints')
    .set({ request_times: JSON.stringify(times) })
    .where('migration_id', '=', key.migrationId)
    .where('source', '=', key.source)
    .execute();
}

/**
 * One statement per page, a column array per field: several times cheaper than a row of parameters per record.
 * A record staged before (same vendor key) is skipped; the count is of records newly staged.
 */
async function stageRecords(trx: Transaction<Database>, checkpoint: Checkpoint, firstLine: number, records: SourceRecord[]): Promise<number> {
  const column = <T>(value: (record: SourceRecord, index: number) => T) => records.map(value);
  const result = await sql`
    INSERT INTO staged_rows (migration_id, source, line_no, channel, phone_raw, name, country, last_interaction_at, viber_user_id,
                             raw, record_key, file_line, direction, delivery_status)
    SELECT ${checkpoint.migration_id}, ${checkpoint.source}, * FROM unnest(
      ${column((_, i) => firstLine + i)}::int[], ${column((r) => r.channel)}::text[], ${column((r) => r.phone)}::text[],
      ${column((r) => r.name)}::text[], ${column((r) => r.country)}::text[], ${column((r) => r.interactionAt?.toISOString() ?? null)}::timestamptz[],
      ${column((r) => r.viberUserId)}::text[], ${column((r) => JSON.stringify(r.raw))}::jsonb[], ${column((r) => r.key)}::text[],
      ${column((r) => r.fileLine)}::int[], ${column((r) => r.direction)}::text[], ${column((r) => r.deliveryStatus)}::text[])
    ON CONFLICT DO NOTHING`.execute(trx);
  return Number(result.numAffectedRows ?? 0n);
}

function selectCheckpoint(db: Kysely<Database>, key: CheckpointKey): Promise<Checkpoint | undefined> {
  return db
    .selectFrom('extract_checkpoints')
    .selectAll()
    .where('migration_id', '=', key.migrationId)
    .where('source', '=', key.source)
    .executeTakeFirst();
}

function insertedCount(results: { numInsertedOrUpdatedRows?: bigint }[]): number {
  return Number(results[0]?.numInsertedOrUpdatedRows ?? 0n);
}
