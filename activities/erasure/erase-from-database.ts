import { sql } from 'kysely';
import { isPersonal, personalDataPlaces } from '../../privacy/personal-data.ts';
import { pendingNumber, recordRemoved, type RemovedCounts } from '../../privacy/erasure-requests.ts';
import { resolvePersonKeys } from '../../privacy/person-keys.ts';
import type { ActivityDependencies } from '../dependencies.ts';

/**
 * Removes the person from every table of the inventory in one transaction: their rows are deleted, or, in the
 * product's own state (a reader's cursor), their data is cleared. The request itself keeps the number until the
 * erasure completes (`clear-when-done`). No foreign key ties the tables, and the CRM change triggers fire on update only, so a
 * deletion leaves nothing half-done. Returns the rows removed or cleared.
 */
export function eraseFromDatabaseActivity({ db }: Pick<ActivityDependencies, 'db'>) {
  return async function eraseFromDatabase(requestId: string): Promise<number> {
    return db.transaction().execute(async (trx) => {
      const e164 = await pendingNumber(trx, requestId);
      if (e164 === null) return 0;
      const keys = await resolvePersonKeys(trx, e164);
      const removed: RemovedCounts = {};
      for (const place of personalDataPlaces.filter(isPersonal)) {
        if (place.erasure === 'clear-when-done') continue;
        const table = sql.table(place.table);
        const result =
          place.erasure === 'delete'
            ? await sql`DELETE FROM ${table} WHERE ${place.rowsOf(keys)}`.execute(trx)
            : await sql`UPDATE ${table} SET ${sql.join(place.personal.map((c) => sql`${sql.ref(c.column)} = NULL`))} WHERE ${place.rowsOf(keys)}`.execute(trx);
        const rows = Number(result.numAffectedRows ?? 0);
        if (rows > 0) removed[`table:${place.table}`] = rows;
      }
      await recordRemoved(trx, requestId, removed);
      return Object.values(removed).reduce((sum, n) => sum + n, 0);
    });
  };
}
