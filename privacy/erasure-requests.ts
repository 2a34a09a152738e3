import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../database/schema.ts';
import { subjectHash } from './erasure-key.ts';

/** Records removed per place: `table:<name>`, `crm:<name>`, `backup:<archive path>`. */
export type RemovedCounts = Record<string, number>;

/** The evidence an erasure leaves: no number, only its keyed hash, when, and what each place gave up. */
export interface ErasureEvidence {
  requestId: string;
  subjectHash: string;
  requestedAt: Date;
  completedAt: Date | null;
  removed: RemovedCounts;
}

/** Writes a pending erasure request for the number; its workflow takes the id, and finds the number here. */
export async function requestErasure(db: Kysely<Database>, e164: string, key: Buffer): Promise<{ requestId: string; subjectHash: string }> {
  const request = { id: randomUUID(), subject_hash: subjectHash(key, e164), e164 };
  await db.insertInto('erasure_requests').values(request).execute();
  return { requestId: request.id, subjectHash: request.subject_hash };
}

/** A request that never reached Temporal is taken back, so the number does not wait in it for a workflow that never runs. */
export async function withdrawErasure(db: Kysely<Database>, requestId: string): Promise<void> {
  await db.deleteFrom('erasure_requests').where('id', '=', requestId).where('completed_at', 'is', null).execute();
}

/**
 * The number a request is to erase; null once it is done, or once another request for the same number finished
 * the work. An unknown id throws, naming it.
 */
export async function pendingNumber(db: Kysely<Database>, requestId: string): Promise<string | null> {
  const request = await db.selectFrom('erasure_requests').select('e164').where('id', '=', requestId).executeTakeFirst();
  if (!request) throw ApplicationFailure.nonRetryable(`erasure request "${requestId}" does not exist`, 'UnknownErasureRequest');
  return request.e164;
}

/**
 * Adds what a step removed to the request's counts. A retried step finds less than its first attempt did (often
 * nothing), so each place keeps the largest count any attempt reported.
 */
export async function recordRemoved(db: Kysely<Database>, requestId: string, counts: RemovedCounts): Promise<void> {
  for (const [place, count] of Object.entries(counts)) {
    await db
      .updateTable('erasure_requests')
      .set({
        removed: sql`coalesce(removed, '{}'::jsonb) || jsonb_build_object(${place}::text, greatest(coalesce((removed->>${place}::text)::int, 0), ${count}::int))`,
      })
      .where('id', '=', requestId)
      .execute();
  }
}

/**
 * Ends a request: the number leaves every pending request for it (the work is done for all of them), and this one is
 * marked done. What stays is the evidence.
 */
export async function closeErasureRequest(db: Kysely<Database>, requestId: string, at: Date): Promise<ErasureEvidence> {
  return db.transaction().execute(async (trx) => {
    const e164 = await pendingNumber(trx, requestId);
    if (e164 !== null) await trx.updateTable('erasure_requests').set({ e164: null }).where('e164', '=', e164).execute();
    await trx.updateTable('erasure_requests').set({ completed_at: sql`coalesce(completed_at, ${at})` }).where('id', '=', requestId).execute();
    const row = await trx.selectFrom('erasure_requests').selectAll().where('id', '=', requestId).executeTakeFirstOrThrow();
    return evidenceOf(row);
  });
}

/** Every erasure request of the number, by its keyed hash. */
export async function erasureEvidence(db: Kysely<Database>, key: Buffer, e164: string): Promise<ErasureEvidence[]> {
  const rows = await db.selectFrom('erasure_requests').selectAll().where('subject_hash', '=', subjectHash(key, e164)).orderBy('requested_at').execute();
  return rows.map(evidenceOf);
}

function evidenceOf(row: { id: string; subject_hash: string; requested_at: Date; completed_at: Date | null; removed: RemovedCounts | null }): ErasureEvidence {
  return { requestId: row.id, subjectHash: row.subject_hash, requestedAt: row.requested_at, completedAt: row.completed_at, removed: row.removed ?? {} };
}
