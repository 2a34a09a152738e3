import { sql } from 'kysely';
import type { ActivityDependencies } from '../dependencies.ts';

export interface BatchPlan {
  batches: number;
}

/**
 * Splits a migration's contacts into numbered batches with a state row each. Planned once: a retry, or a
 * resumed run, finds the existing plan and keeps it, so batch numbers never shift under finished work.
 */
export function planBatchesActivity({ db }: Pick<ActivityDependencies, 'db'>) {
  return async function planBatches(migrationId: string, batchSize: number): Promise<BatchPlan> {
    return db.transaction().execute(async (trx) => {
      // Serialises planners of one migration, so two attempts cannot both find no plan and both write one.
      await sql`SELECT pg_advisory_xact_lock(hashtext(${`plan:${migrationId}`}))`.execute(trx);
      const existing = await trx
        .selectFrom('contact_batches')
        .select((e) => e.fn.countAll<number>().as('batches'))
        .where('migration_id', '=', migrationId)
        .executeTakeFirstOrThrow();
      if (Number(existing.batches) > 0) return { batches: Number(existing.batches) };

      await sql`
        UPDATE contacts AS c SET batch_no = numbered.batch_no
        FROM (SELECT id, (row_number() OVER (ORDER BY id) - 1) / ${batchSize} AS batch_no
              FROM contacts WHERE migration_id = ${migrationId}) AS numbered
        WHERE c.id = numbered.id`.execute(trx);
      const planned = await trx
        .insertInto('contact_batches')
        .columns(['migration_id', 'batch_no', 'contact_count'])
        .expression((e) =>
          e
            .selectFrom('contacts')
            .select([sql.lit(migrationId).as('migration_id'), 'batch_no', (f) => f.fn.countAll<number>().as('contact_count')])
            .where('migration_id', '=', migrationId)
            .groupBy('batch_no'),
        )
        .executeTakeFirst();
      return { batches: Number(planned.numInsertedOrUpdatedRows ?? 0) };
    });
  };
}
