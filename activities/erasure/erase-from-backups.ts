import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import type { ArchiveLine } from '../../backup/archive-lines.ts';
import { removeArchiveLines } from '../../backup/archive-rewrite.ts';
import { personsArchiveLine } from '../../privacy/person-archive-lines.ts';
import { pendingNumber, recordRemoved, type RemovedCounts } from '../../privacy/erasure-requests.ts';
import { resolvePersonKeys } from '../../privacy/person-keys.ts';
import type { ActivityDependencies } from '../dependencies.ts';

const HEARTBEAT_EVERY_LINES = 10_000;

/**
 * Takes the person's lines out of every backup archive ever written (`backup_archives`), before their rows leave
 * the database: the keys that find their lines are read from those rows. Returns the lines removed.
 */
export function eraseFromBackupsActivity({ db }: Pick<ActivityDependencies, 'db'>) {
  return async function eraseFromBackups(requestId: string): Promise<number> {
    const e164 = await pendingNumber(db, requestId);
    if (e164 === null) return 0;
    const isPersons = personsArchiveLine(await resolvePersonKeys(db, e164));
    let read = 0;
    // Archives of millions of lines take minutes to rewrite: the heartbeat says the worker is still at it.
    const remove = (line: ArchiveLine) => {
      if (++read % HEARTBEAT_EVERY_LINES === 0) Context.current().heartbeat();
      return isPersons(line);
    };
    const archives = await db.selectFrom('backup_archives').select(['dir', 'migration_id', 'file']).orderBy('dir').orderBy('migration_id').orderBy('file').execute();
    const removed: RemovedCounts = {};
    for (const archive of archives) {
      const lines = await removeArchiveLines(archive.dir, archive.migration_id, archive.file, remove);
      if (lines.staged + lines.quarantined > 0) removed[`backup:${join(archive.dir, archive.migration_id, archive.file)}`] = lines.staged + lines.quarantined;
    }
    await recordRemoved(db, requestId, removed);
    return Object.values(removed).reduce((sum, n) => sum + n, 0);
  };
}
