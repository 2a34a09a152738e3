import { parseArgs } from 'node:util';
import { normalizeCsv } from '../normalize-csv.ts';
import { UsageError } from '../usage-error.ts';

export async function normalizeCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      input: { type: 'string' },
      column: { type: 'string' },
      'country-column': { type: 'string' },
      'default-country': { type: 'string' },
      out: { type: 'string' },
    },
  });
  if (!values.input || !values.column || !values.out) throw new UsageError('normalize needs --input FILE.csv, --column NAME and --out OUT.csv');
  const defaultCountry = values['default-country']?.toUpperCase();
  if (defaultCountry !== undefined && !/^[A-Z]{2}$/.test(defaultCountry)) throw new UsageError('--default-country: an ISO 3166 alpha-2 code, like AE');
  const counts = await normalizeCsv({
    input: values.input,
    out: values.out,
    column: values.column,
    countryColumn: values['country-column'],
    defaultCountry,
  });
  const rejected = counts.rows - counts.accepted;
  console.error(`${counts.rows} rows: ${counts.accepted} with an E.164 number, ${rejected} rejected → ${values.out}`);
  for (const [reason, rows] of Object.entries(counts.rejectedByReason).sort(([, a], [, b]) => b - a)) console.error(`  ${reason} ${rows}`);
}
