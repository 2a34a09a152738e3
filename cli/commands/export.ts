import { parseArgs } from 'node:util';
import { databaseLocation, openDatabase } from '../../database/connect.ts';
import { exportMigration } from '../export-migration.ts';
import { UsageError } from '../usage-error.ts';

export async function exportCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { out: { type: 'string' } } });
  const [migrationId] = positionals;
  if (!migrationId || !values.out) throw new UsageError('export needs the migration id and --out FILE');
  const db = await openDatabase(databaseLocation());
  try {
    const written = await exportMigration(db, migrationId, values.out);
    console.log(`${written.contacts} contacts → ${written.contactsFile}`);
    console.log(`${written.rejected} rejected rows with their reasons → ${written.rejectedFile}`);
  } finally {
    await db.destroy();
  }
}
