import { parseArgs } from 'node:util';
import { anonymizeMigration } from '../../anonymize/anonymize-migration.ts';
import { databaseLocation, describeLocation, openDatabase } from '../../database/connect.ts';
import { formatCount } from '../../report/figure-format.ts';
import { MIGRATION_ID } from '../../workflows/migration-input.ts';
import { UsageError } from '../usage-error.ts';

/**
 * A pseudonymised copy of a migration's data in another PostgreSQL database, for testing elsewhere: every number,
 * name, Viber id and message text replaced, consistently across tables, ids and relations kept.
 */
export async function anonymizeCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { to: { type: 'string' }, as: { type: 'string' } } });
  const [migrationId] = positionals;
  if (!migrationId || !values.to) throw new UsageError('anonymize needs the migration id and --to DATABASE_URL');
  if (values.as !== undefined && !MIGRATION_ID.test(values.as)) throw new UsageError('--as: 1 to 63 characters of a-z, 0-9, "-" and "_", starting with a letter or digit');
  const target = { kind: 'postgres' as const, url: values.to };
  const source = await openDatabase(databaseLocation());
  try {
    const into = await openDatabase(target);
    try {
      const copy = await anonymizeMigration(source, into, migrationId, {
        as: values.as,
        onTable: ({ table, rows }) => console.log(`  ${table.padEnd(26)} ${formatCount(rows).padStart(11)}`),
      });
      const rows = copy.tables.reduce((sum, table) => sum + table.rows, 0);
      for (const { table, why } of copy.notCopied) console.log(`  ${table.padEnd(26)} ${'-'.padStart(11)}  (${why})`);
      console.log(
        `${formatCount(rows)} rows of "${copy.migrationId}" copied as "${copy.copyId}" to ${describeLocation(target)} in ${copy.seconds.toFixed(1)} s ` +
          `(${formatCount(rows / copy.seconds)} rows/s), ${formatCount(copy.numbers)} numbers and ${formatCount(copy.viberUsers)} Viber users replaced`,
      );
    } finally {
      await into.destroy();
    }
  } finally {
    await source.destroy();
  }
}
