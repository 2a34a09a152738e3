import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { stringify, type Stringifier } from 'csv-stringify';
import type { Kysely } from 'kysely';
import type { Database } from '../database/schema.ts';
import { spreadsheetCell } from './spreadsheet-cell.ts';

const PAGE = 5000;

export interface ExportedFiles {
  contactsFile: string;
  rejectedFile: string;
  contacts: number;
  rejected: number;
}

/** Writes `FILE` with the cleaned contacts and `FILE` + `.rejected.csv` with every rejected or unreadable row and its reason. */
export async function exportMigration(db: Kysely<Database>, migrationId: string, contactsFile: string): Promise<ExportedFiles> {
  const rejectedFile = `${contactsFile.replace(/\.csv$/i, '')}.rejected.csv`;

  let contacts = 0;
  await writeCsv(contactsFile, ['e164', 'name', 'country', 'line_type', 'whatsapp', 'wa_id', 'hubspot_id', 'salesforce_id'], async (csv) => {
    let after = '0';
    for (;;) {
      const page = await db
        .selectFrom('contacts as c')
        .leftJoin('crm_sync_state as hubspot', (join) => join.onRef('hubspot.contact_id', '=', 'c.id').on('hubspot.crm', '=', 'hubspot'))
        .leftJoin('crm_sync_state as salesforce', (join) => join.onRef('salesforce.contact_id', '=', 'c.id').on('salesforce.crm', '=', 'salesforce'))
        .select(['c.id', 'c.e164', 'c.name', 'c.country', 'c.line_type', 'c.reachability', 'c.wa_id', 'hubspot.record_id as hubspot_id', 'salesforce.record_id as salesforce_id'])
        .where('c.migration_id', '=', migrationId)
        .where('c.id', '>', after)
        .orderBy('c.id')
        .limit(PAGE)
        .execute();
      for (const c of page) await write(csv, [c.e164, c.name, c.country, c.line_type, c.reachability, c.wa_id, c.hubspot_id, c.salesforce_id]);
      contacts += page.length;
      if (page.length < PAGE) return;
      after = String(page.at(-1)!.id);
    }
  });

  let rejected = 0;
  // A file row is named by its line in the file; an API record by its place in staging. Lines that could not be
  // read as rows at all (quarantine) come last, with the text as it was read.
  await writeCsv(rejectedFile, ['source', 'line', 'reason', 'phone', 'name', 'country', 'content'], async (csv) => {
    let after = { source: '', line: 0 };
    for (;;) {
      const page = await db
        .selectFrom('normalized_rows as n')
        .innerJoin('staged_rows as s', (j) =>
          j.onRef('s.migration_id', '=', 'n.migration_id').onRef('s.source', '=', 'n.source').onRef('s.line_no', '=', 'n.line_no'),
        )
        .select(['n.source', 'n.line_no', 's.file_line', 'n.reject_reason', 's.phone_raw', 's.name', 's.country'])
        .where('n.migration_id', '=', migrationId)
        .where('n.reject_reason', 'is not', null)
        .where((e) => e(e.refTuple('n.source', 'n.line_no'), '>', e.tuple(after.source, after.line)))
        .orderBy('n.source')
        .orderBy('n.line_no')
        .limit(PAGE)
        .execute();
      for (const r of page) await write(csv, [r.source, r.file_line ?? r.line_no, r.reject_reason, r.phone_raw, r.name, r.country, null]);
      rejected += page.length;
      if (page.length < PAGE) break;
      const last = page.at(-1)!;
      after = { source: last.source, line: last.line_no };
    }
    let afterId = 0;
    for (;;) {
      const page = await db
        .selectFrom('quarantined_rows')
        .select(['id', 'source', 'file_line', 'reason', 'content'])
        .where('migration_id', '=', migrationId)
        .where('id', '>', afterId)
        .orderBy('id')
        .limit(PAGE)
        .execute();
      for (const q of page) await write(csv, [q.source, q.file_line, `unreadable: ${q.reason}`, null, null, null, q.content]);
      rejected += page.length;
      if (page.length < PAGE) return;
      afterId = page.at(-1)!.id;
    }
  });

  if (contacts === 0 && rejected === 0) throw new Error(`no data for migration "${migrationId}" in this database`);
  return { contactsFile, rejectedFile, contacts, rejected };
}

async function writeCsv(path: string, columns: string[], fill: (csv: Stringifier) => Promise<void>): Promise<void> {
  // Names come from Viber profiles and CRM exports that customers and others control: no cell may run as a formula.
  const csv = stringify({ header: true, columns, cast: { string: spreadsheetCell } });
  // Customers' numbers and names: for the owner's eyes, as the key files are.
  const file = csv.pipe(createWriteStream(path, { mode: 0o600 }));
  await fill(csv);
  csv.end();
  await once(file, 'finish');
}

async function write(csv: Stringifier, row: unknown[]): Promise<void> {
  if (!csv.write(row)) await once(csv, 'drain');
}
