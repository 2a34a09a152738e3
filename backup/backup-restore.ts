import type { Insertable, Kysely } from 'kysely';
import type { Database, QuarantinedRowTable, StagedRowTable } from '../database/schema.ts';
import { archiveLines, type ArchivedQuarantinedRow, type ArchivedStagedRow } from './archive-lines.ts';
import { verifyBackup } from './backup-verify.ts';
import { archivePath } from './source-archive.ts';

/** Rows per INSERT: 14 columns × 1,000 rows stays well under PostgreSQL's 65,535 parameters. */
const ROWS_PER_INSERT = 1000;

/**
 * Puts a migration's archived raw extract (or one source's) back into staging, under its own migration id or
 * `into` another. The backup is verified first and nothing is restored from one that fails. Rows already there
 * are left as they are, so restoring twice adds nothing; the counts are of the rows actually added.
 */
export async function restoreBackup(
  db: Kysely<Database>,
  options: { dir: string; migrationId: string; source?: string; into?: string },
): Promise<{ rows: number; quarantined: number }> {
  const { dir, migrationId, source, into = migrationId } = options;
  const { checked, problems } = await verifyBackup(dir, migrationId);
  const entries = checked.filter((entry) => source === undefined || entry.source === source).sort((a, b) => a.pass - b.pass);
  // Another source's broken archive does not stop this one's restore; a broken manifest stops every restore.
  const restored = new Set(entries.map((entry) => archivePath(dir, entry)));
  const others = new Set(checked.map((entry) => archivePath(dir, entry)));
  const blocking = problems.filter((p) => restored.has(p.file) || !others.has(p.file));
  if (blocking.length > 0) {
    throw new Error(`the backup of migration "${migrationId}" failed verification, nothing restored:\n${blocking.map((p) => `  ${p.file}: ${p.problem}`).join('\n')}`);
  }
  if (entries.length === 0) {
    throw new Error(`the backup of migration "${migrationId}" has no archive${source === undefined ? '' : ` of source "${source}"`}`);
  }

  const added = { rows: 0, quarantined: 0 };
  for (const entry of entries) {
    let staged: Insertable<StagedRowTable>[] = [];
    let quarantined: Insertable<QuarantinedRowTable>[] = [];
    for await (const line of archiveLines(archivePath(dir, entry))) {
      if ('staged' in line) staged.push(stagedRow(line.staged, into));
      else quarantined.push(quarantinedRow(line.quarantined, into));
      if (staged.length === ROWS_PER_INSERT) {
        added.rows += await insertStaged(db, staged);
        staged = [];
      }
      if (quarantined.length === ROWS_PER_INSERT) {
        added.quarantined += await insertQuarantined(db, quarantined);
        quarantined = [];
      }
    }
    added.rows += await insertStaged(db, staged);
    added.quarantined += await insertQuarantined(db, quarantined);
  }
  return added;
}

function stagedRow(row: ArchivedStagedRow, migrationId: string): Insertable<StagedRowTable> {
  return {
    ...row,
    migration_id: migrationId,
    last_interaction_at: row.last_interaction_at === null ? null : new Date(row.last_interaction_at),
    raw: JSON.stringify(row.raw),
  };
}

function quarantinedRow(row: ArchivedQuarantinedRow, migrationId: string): Insertable<QuarantinedRowTable> {
  return { ...row, migration_id: migrationId, created_at: new Date(row.created_at) };
}

async function insertStaged(db: Kysely<Database>, rows: Insertable<StagedRowTable>[]): Promise<number> {
  if (rows.length === 0) return 0;
  const result = await db.insertInto('staged_rows').values(rows).onConflict((c) => c.doNothing()).executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0);
}

async function insertQuarantined(db: Kysely<Database>, rows: Insertable<QuarantinedRowTable>[]): Promise<number> {
  if (rows.length === 0) return 0;
  const result = await db.insertInto('quarantined_rows').values(rows).onConflict((c) => c.doNothing()).executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0);
}
