import { asciiDigits } from '../activities/clean/normalize-phone.ts';
import type { ArchiveLine } from '../backup/archive-lines.ts';
import { readsAs, stagedRowId, type PersonKeys } from './person-keys.ts';

/**
 * Which lines of a backup archive are the person's, by the inventory's own rules: a staged row is theirs when it is
 * one of their staged rows, belongs to one of their Viber accounts, or is read as their number by the pipeline's
 * normaliser; a quarantined line when its digits hold their national number.
 */
export function personsArchiveLine(keys: PersonKeys): (line: ArchiveLine) => boolean {
  const stagedRows = new Set(keys.stagedRows.map(stagedRowId));
  const viberUserIds = new Set(keys.viberUserIds);
  return (line) => {
    if ('staged' in line) {
      const row = line.staged;
      return (
        stagedRows.has(stagedRowId({ migrationId: row.migration_id, source: row.source, lineNo: row.line_no })) ||
        (row.viber_user_id !== null && viberUserIds.has(row.viber_user_id)) ||
        readsAs(row.phone_raw, row.country, keys.e164)
      );
    }
    return asciiDigits(line.quarantined.content).replace(/[^0-9]/g, '').includes(keys.nationalDigits);
  };
}
