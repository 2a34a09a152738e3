import type { ArchiveLine } from '../backup/archive-lines.ts';
import { readsAs, type PersonKeys } from './person-keys.ts';

const EASTERN_DIGIT = /[\u0660-\u0669\u06F0-\u06F9]/g;

/**
 * Which lines of a backup archive are the person's, by the inventory's own rules: a staged row is theirs when it is
 * one of their staged rows, belongs to one of their Viber accounts, or is read as their number by the pipeline's
 * normaliser; a quarantined line when its digits hold their national number.
 */
export function personsArchiveLine(keys: PersonKeys): (line: ArchiveLine) => boolean {
  const stagedRows = new Set(keys.stagedRows.map((r) => `${r.migrationId}\u0000${r.source}\u0000${r.lineNo}`));
  const viberUserIds = new Set(keys.viberUserIds);
  return (line) => {
    if ('staged' in line) {
      const row = line.staged;
      return (
        stagedRows.has(`${row.migration_id}\u0000${row.source}\u0000${row.line_no}`) ||
        (row.viber_user_id !== null && viberUserIds.has(row.viber_user_id)) ||
        readsAs(row.phone_raw, row.country, keys.e164)
      );
    }
    return digitsOf(line.quarantined.content).includes(keys.nationalDigits);
  };
}

function digitsOf(text: string): string {
  return text.replace(EASTERN_DIGIT, (d) => String(d.charCodeAt(0) & 0xf)).replace(/[^0-9]/g, '');
}
