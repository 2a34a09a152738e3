import { parseArgs } from 'node:util';
import { measureDataQuality } from '../../activities/clean/data-quality.ts';
import { databaseLocation, openDatabase } from '../../database/connect.ts';
import { UsageError } from '../usage-error.ts';

/** The data-quality report of a migration, as JSON, straight from the database. */
export async function qualityCommand(args: string[]): Promise<void> {
  const { positionals } = parseArgs({ args, allowPositionals: true });
  const [migrationId] = positionals;
  if (!migrationId) throw new UsageError('quality needs the migration id');
  const db = await openDatabase(databaseLocation());
  try {
    const { contacts, ...quality } = await measureDataQuality(db, migrationId);
    if (contacts === 0 && Object.keys(quality.rejectedByReason).length === 0) throw new Error(`no data for migration "${migrationId}" in this database`);
    console.log(JSON.stringify({ migrationId, contacts, ...quality }, null, 2));
  } finally {
    await db.destroy();
  }
}
