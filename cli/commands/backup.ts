import { parseArgs } from 'node:util';
import { restoreBackup } from '../../backup/backup-restore.ts';
import { verifyBackup } from '../../backup/backup-verify.ts';
import { archivePath } from '../../backup/source-archive.ts';
import { databaseLocation, openDatabase } from '../../database/connect.ts';
import { UsageError } from '../usage-error.ts';

/** `backup verify` checks the archived raw extracts; `backup restore` puts one migration's back into staging. */
export async function backupCommand(args: string[]): Promise<void> {
  const [action, ...rest] = args;
  if (action === 'verify') return verifyCommand(rest);
  if (action === 'restore') return restoreCommand(rest);
  throw new UsageError(action === undefined ? 'backup needs verify or restore' : `backup ${action}: not a backup command (verify, restore)`);
}

async function verifyCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { migration: { type: 'string' } } });
  const [dir] = positionals;
  if (!dir) throw new UsageError('backup verify needs the backup folder DIR');
  const { checked, problems } = await verifyBackup(dir, values.migration);
  for (const entry of checked) {
    const file = archivePath(dir, entry);
    const own = problems.filter((p) => p.file === file);
    console.log(`${entry.migrationId}  ${entry.source}  pass ${entry.pass}  ${entry.rows} rows  ${entry.quarantined} quarantined  ${own.length === 0 ? 'OK' : 'FAILED'}`);
  }
  for (const { file, problem } of problems) console.log(`${file}: ${problem}`);
  if (problems.length > 0) throw new Error(`${problems.length} problem${problems.length === 1 ? '' : 's'} in the backup`);
}

async function restoreCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { migration: { type: 'string' }, source: { type: 'string' }, into: { type: 'string' } },
  });
  const [dir] = positionals;
  const missing = [!dir && 'the backup folder DIR', !values.migration && '--migration ID'].filter(Boolean);
  if (!dir || !values.migration) throw new UsageError(`backup restore needs ${missing.join(' and ')}`);
  const db = await openDatabase(databaseLocation());
  try {
    const restored = await restoreBackup(db, { dir, migrationId: values.migration, source: values.source, into: values.into });
    const target = values.into ?? values.migration;
    console.log(`${restored.rows} staged rows and ${restored.quarantined} quarantined rows restored into migration ${target}`);
  } finally {
    await db.destroy();
  }
}
