import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { databaseLocation, openDatabase } from '../../database/connect.ts';
import { erasureKey } from '../../privacy/erasure-key.ts';
import { exportPerson } from '../../privacy/person-export.ts';
import { personNumber } from '../person-number.ts';

/** `person --phone NUMBER [--country XX] [--out FILE]`: what the product holds on one person, as JSON (an access request). */
export async function personCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { phone: { type: 'string' }, country: { type: 'string' }, out: { type: 'string' } } });
  const e164 = personNumber('person', values.phone, values.country);
  const key = erasureKey();
  const db = await openDatabase(databaseLocation());
  try {
    const found = await exportPerson(db, e164, key, new Date());
    const text = `${JSON.stringify(found, null, 2)}\n`;
    if (values.out === undefined) return void process.stdout.write(text);
    await writeFile(values.out, text, { mode: 0o600 });
    const rows = Object.values(found.tables).reduce((sum, rows) => sum + rows.length, 0);
    const lines = Object.values(found.backups).reduce((sum, lines) => sum + lines.length, 0);
    console.log(`${rows} rows in ${Object.values(found.tables).filter((r) => r.length > 0).length} tables, ${lines} backup lines, ${found.crmRecords.length} CRM records, ${found.erasures.length} erasures → ${values.out}`);
  } finally {
    await db.destroy();
  }
}
