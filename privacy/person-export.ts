import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { archiveLines, type ArchiveLine } from '../backup/archive-lines.ts';
import { archivePath } from '../backup/source-archive.ts';
import type { Database } from '../database/schema.ts';
import { erasureEvidence, type ErasureEvidence } from './erasure-requests.ts';
import { personsArchiveLine } from './person-archive-lines.ts';
import { resolvePersonKeys } from './person-keys.ts';
import { isPersonal, personalDataPlaces } from './personal-data.ts';

/** Everything the product holds on one person (an access request, GDPR art. 15, CCPA). */
export interface PersonExport {
  e164: string;
  exportedAt: string;
  /** Every personal table of the inventory, with each of the person's rows, all columns. */
  tables: Record<string, Record<string, unknown>[]>;
  /** The person's lines in each backup archive, by the archive's path. */
  backups: Record<string, ArchiveLine[]>;
  /** The CRM records the sync wrote for the person: which CRM and account, the record's id, when. */
  crmRecords: { crm: string; account: string; recordId: string | null; syncedAt: Date | null }[];
  /** Erasures of this number carried out before (found by the number's keyed hash). */
  erasures: ErasureEvidence[];
}

export async function exportPerson(db: Kysely<Database>, e164: string, erasureKey: Buffer, at: Date): Promise<PersonExport> {
  const keys = await resolvePersonKeys(db, e164);
  const tables: PersonExport['tables'] = {};
  for (const place of personalDataPlaces.filter(isPersonal)) {
    const { rows } = await sql<Record<string, unknown>>`SELECT * FROM ${sql.table(place.table)} WHERE ${place.rowsOf(keys)}`.execute(db);
    tables[place.table] = rows;
  }

  const backups: PersonExport['backups'] = {};
  const isPersons = personsArchiveLine(keys);
  for (const archive of await db.selectFrom('backup_archives').select(['dir', 'migration_id', 'file']).orderBy('dir').orderBy('migration_id').orderBy('file').execute()) {
    const path = archivePath(archive.dir, { migrationId: archive.migration_id, file: archive.file });
    const lines: ArchiveLine[] = [];
    try {
      for await (const line of archiveLines(path)) if (isPersons(line)) lines.push(line);
    } catch (error) {
      // An archive deleted since it was written holds nothing any more; any other failure is reported.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new Error(`backup ${join(archive.dir, archive.migration_id, archive.file)}: ${(error as Error).message}`, { cause: error });
    }
    if (lines.length > 0) backups[path] = lines;
  }

  const crmRecords = keys.contactIds.length === 0
    ? []
    : await db
        .selectFrom('crm_sync_state')
        .select(['crm', 'account', 'record_id as recordId', 'synced_at as syncedAt'])
        .where('contact_id', 'in', keys.contactIds)
        .where('record_id', 'is not', null)
        .orderBy('crm')
        .orderBy('account')
        .execute();

  return { e164, exportedAt: at.toISOString(), tables, backups, crmRecords, erasures: await erasureEvidence(db, erasureKey, e164) };
}
