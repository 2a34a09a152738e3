import { sql, type Transaction } from 'kysely';
import { measureDataQuality } from './data-quality.ts';
import type { Database } from '../../database/schema.ts';
import type { DataQuality } from '../../workflows/migration-progress.ts';
import type { ActivityDependencies } from '../dependencies.ts';

/**
 * Merges a migration's normalised rows into one contact per E.164 number, in set-based SQL over all of them:
 * the name from the most recent row that has one (the longest on a tie), the latest interaction, the union of
 * channels, the messages each way and the delivery status of the latest message sent. A Viber user id joins a
 * contact only when the sources agree on it; where they do not, the disagreement is recorded as a conflict and
 * nothing is guessed. Recomputed from staging each time, so a retry,
 * or a later run with more rows, gives the same contacts as one run over everything.
 */
export function mergeContactsActivity({ db }: Pick<ActivityDependencies, 'db'>) {
  return async function mergeContacts(migrationId: string): Promise<DataQuality & { contacts: number }> {
    await db.transaction().execute(async (trx) => {
      await recordConflicts(trx, migrationId);
      await sql`
        INSERT INTO contacts (migration_id, e164, name, country, line_type, channels, last_interaction_at, viber_user_id, source_rows,
                              messages_inbound, messages_outbound, last_delivery_status)
        SELECT n.migration_id, n.e164,
               (array_agg(s.name ORDER BY s.last_interaction_at DESC NULLS LAST, length(s.name) DESC, s.source, s.line_no)
                  FILTER (WHERE s.name IS NOT NULL))[1],
               min(n.number_region), min(n.line_type),
               array_agg(DISTINCT s.channel ORDER BY s.channel),
               max(s.last_interaction_at),
               CASE WHEN count(DISTINCT s.viber_user_id) = 1 AND NOT bool_or(conflict.subject IS NOT NULL)
                    THEN min(s.viber_user_id) END,
               count(*),
               count(*) FILTER (WHERE s.direction = 'inbound'), count(*) FILTER (WHERE s.direction = 'outbound'),
               (array_agg(s.delivery_status ORDER BY s.last_interaction_at DESC NULLS LAST, s.source, s.line_no)
                  FILTER (WHERE s.direction = 'outbound' AND s.delivery_status IS NOT NULL))[1]
        FROM normalized_rows AS n
        JOIN staged_rows AS s USING (migration_id, source, line_no)
        LEFT JOIN merge_conflicts AS conflict
          ON conflict.migration_id = s.migration_id AND conflict.kind = 'viber_user_with_several_numbers'
         AND conflict.subject = s.viber_user_id
        WHERE n.migration_id = ${migrationId} AND n.e164 IS NOT NULL
        GROUP BY n.migration_id, n.e164
        ON CONFLICT (migration_id, e164) DO UPDATE SET
          name = excluded.name, channels = excluded.channels, last_interaction_at = excluded.last_interaction_at,
          viber_user_id = excluded.viber_user_id, source_rows = excluded.source_rows,
          messages_inbound = excluded.messages_inbound, messages_outbound = excluded.messages_outbound,
          last_delivery_status = excluded.last_delivery_status`.execute(trx);
    });
    return measureDataQuality(db, migrationId);
  };
}

async function recordConflicts(trx: Transaction<Database>, migrationId: string): Promise<void> {
  const groupings = [
    { kind: 'viber_user_with_several_numbers', subject: sql.ref('viber_user_id'), claim: sql.ref('e164') },
    { kind: 'number_with_several_viber_users', subject: sql.ref('e164'), claim: sql.ref('viber_user_id') },
  ] as const;
  for (const { kind, subject, claim } of groupings) {
    await sql`
      INSERT INTO merge_conflicts (migration_id, kind, subject, claims)
      SELECT migration_id, ${kind}, ${subject}, array_agg(DISTINCT ${claim} ORDER BY ${claim})
      FROM normalized_rows JOIN staged_rows USING (migration_id, source, line_no)
      WHERE migration_id = ${migrationId} AND e164 IS NOT NULL AND viber_user_id IS NOT NULL
      GROUP BY migration_id, ${subject}
      HAVING count(DISTINCT ${claim}) > 1
      ON CONFLICT (migration_id, kind, subject) DO UPDATE SET claims = excluded.claims`.execute(trx);
  }
}
