import { sql } from 'kysely';
import type { ActivityDependencies } from '../dependencies.ts';

export interface BatchPlan {
  /** The first batch this pass planned; earlier ones belong to earlier passes and are done. */
  firstBatch: number;
  /** Batches of the migration so far, this pass's included. */
  batches: number;
}

/**
 * Numbers the contacts no pass has planned yet into batches after the existing ones, with a state row each,
 * tagged with the pass. Planned once per pass: a retry, or a resumed run, finds its plan and keeps it, so batch
 * numbers never shift under finished work; a later incremental pass plans only the contacts that are new.
 */
export function planBatchesActivity({ db }: Pick<ActivityDependencies, 'db'>) {
  return async function planBatches(migrationId: string, batchSize: number, passId: string): Promise<BatchPlan> {
    return db.transaction().execute(async (trx) => {
      // Serialises planners of one migration, so two attempts cannot both find no plan and both write one.
      await sql`SELECT pg_advisory_xact_lock(hashtext(${`plan:${migrationId}`}))`.execute(trx);
      const existing = await trx
        .selectFrom('contact_batches')
        .select((e) => [e.fn.countAll<number>().as('batches'), sql<number | null>`min(batch_no) FILTER (WHERE pass_id = ${passId})`.as('first_of_pass')])
        .where('migration_id', '=', migrationId)
        .executeTakeFirstOrThrow();
      const batches = Number(existing.batches);
      if (existing.first_of_pass !== null) return { firstBatch: Number(existing.first_of_pass), batches };

      await sql`
        UPDATE contacts AS c SET batch_no = numbered.batch_no
        FROM (SELECT id, ${batches} + (row_number() OVER (ORDER BY id) - 1) / ${batchSize} AS batch_no
              FROM contacts WHERE migration_id = ${migrationId} AND batch_no IS NULL) AS numbered
        WHERE c.id = numbered.id`.execute(trx);
      const planned = await trx
        .insertInto('contact_batches')
        .columns(['migration_id', 'batch_no', 'contact_count', 'pass_id'])
        .expression((e) =>
          e
            .selectFrom('contacts')
            .select([sql.lit(migrationId).as('migration_id'), 'batch_no', (f) => f.fn.countAll<number>().as('contact_count'), sql.val(passId).as('pass_id')])
            .where('migration_id', '=', migrationId)
            .where('batch_no', '>=', batches)
            .groupBy('batch_no'),
        )
        .executeTakeFirst();
      return { firstBatch: batches, batches: batches + Number(planned.numInsertedOrUpdatedRows ?? 0) };
    });
  };
}
