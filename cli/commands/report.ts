import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { databaseLocation, openDatabase } from '../../database/connect.ts';
import { migrationReportData } from '../../report/migration-report-data.ts';
import { migrationReportHtml } from '../../report/migration-report-html.ts';
import { UsageError } from '../usage-error.ts';

/** `report ID --out FILE`: the migration's report as one self-contained HTML page, charts included, figures only. */
export async function reportCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { out: { type: 'string' } } });
  const [migrationId] = positionals;
  if (!migrationId || !values.out) throw new UsageError('report needs the migration id and --out FILE');
  const db = await openDatabase(databaseLocation());
  try {
    const data = await migrationReportData(db, migrationId);
    if (data.sources.length === 0 && data.funnel.contacts === 0) {
      throw new Error(`no data for migration "${migrationId}" in this database (channelshift status ${migrationId} shows whether it has run)`);
    }
    const out = resolve(values.out);
    await writeFile(out, migrationReportHtml(data));
    console.log(`Report of migration ${migrationId} → ${out}`);
  } finally {
    await db.destroy();
  }
}
