import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../../database/schema.ts';
import type { DataQuality } from '../../workflows/migration-progress.ts';

/** The data-quality report of a migration, in counts, from what cleaning and merging stored. */
export async function measureDataQuality(db: Kysely<Database>, migrationId: string): Promise<DataQuality & { contacts: number }> {
  const countsBy = async (query: RawBuilder<{ key: string; n: number }>) => {
    const { rows } = await query.execute(db);
    return Object.fromEntries(rows.sort((a, b) => b.n - a.n).map((row) => [row.key, row.n]));
  };
  const { rows: [totals] } = await sql<{ contacts: number; rows: number; merged: number }>`
    SELECT count(*)::int AS contacts, coalesce(sum(source_rows), 0)::int AS rows, count(*) FILTER (WHERE source_rows > 1)::int AS merged
    FROM contacts WHERE migration_id = ${migrationId}`.execute(db);
  const conflicts = await countsBy(sql`
    SELECT kind AS key, count(*)::int AS n FROM merge_conflicts WHERE migration_id = ${migrationId} GROUP BY 1`);
  return {
    contacts: totals!.contacts,
    rejectedByReason: await countsBy(sql`
      SELECT reject_reason AS key, count(*)::int AS n FROM normalized_rows
      WHERE migration_id = ${migrationId} AND reject_reason IS NOT NULL GROUP BY 1`),
    contactsByCountry: await countsBy(sql`
      SELECT coalesce(country, 'unknown') AS key, count(*)::int AS n FROM contacts WHERE migration_id = ${migrationId} GROUP BY 1`),
    contactsByLineType: await countsBy(sql`
      SELECT coalesce(line_type, 'unknown') AS key, count(*)::int AS n FROM contacts WHERE migration_id = ${migrationId} GROUP BY 1`),
    duplicatesMerged: totals!.rows - totals!.contacts,
    contactsFromSeveralRows: totals!.merged,
    conflicts: {
      viberUserWithSeveralNumbers: conflicts.viber_user_with_several_numbers ?? 0,
      numberWithSeveralViberUsers: conflicts.number_with_several_viber_users ?? 0,
    },
  };
}
