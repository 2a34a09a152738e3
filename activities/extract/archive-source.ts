import { archiveSource as writeArchive, type ArchiveEntry } from '../../backup/source-archive.ts';
import type { ActivityDependencies } from '../dependencies.ts';

/** Archives a source's raw extract (its latest pass) before anything is cleaned; archiving again replaces the archive. */
export function archiveSourceActivity({ db, clock }: Pick<ActivityDependencies, 'db' | 'clock'>) {
  return async function archiveSource(migrationId: string, source: string, dir: string): Promise<Pick<ArchiveEntry, 'file' | 'rows' | 'sha256'>> {
    const checkpoint = await db
      .selectFrom('extract_checkpoints')
      .select(['kind', 'pass'])
      .where('migration_id', '=', migrationId)
      .where('source', '=', source)
      .executeTakeFirstOrThrow();
    const entry = await writeArchive(db, { dir, migrationId, source, kind: checkpoint.kind, pass: checkpoint.pass, clock });
    return { file: entry.file, rows: entry.rows, sha256: entry.sha256 };
  };
}
