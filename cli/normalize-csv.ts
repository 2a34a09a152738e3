import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify';
import { contactRegion } from '../activities/clean/contact-region.ts';
import { normalizePhone } from '../activities/clean/normalize-phone.ts';

export interface NormalizeCsvOptions {
  input: string;
  out: string;
  column: string;
  countryColumn?: string;
  defaultCountry?: string;
}

export interface NormalizeCsvCounts {
  rows: number;
  accepted: number;
  rejectedByReason: Record<string, number>;
}

/**
 * Copies a CSV and adds `e164`, `line_type` and `reject_reason` to every row, with the very code the pipeline
 * cleans with, so a business can preview the cleaning before it migrates. Streams: any size, flat memory.
 */
export async function normalizeCsv(options: NormalizeCsvOptions): Promise<NormalizeCsvCounts> {
  const counts: NormalizeCsvCounts = { rows: 0, accepted: 0, rejectedByReason: {} };
  const rows = createReadStream(options.input).pipe(parse({ bom: true, relax_column_count: true, skip_empty_lines: true }));
  const csv = stringify();
  const written = csv.pipe(createWriteStream(options.out));
  let phoneAt = -1;
  let countryAt = -1;
  for await (const row of rows as AsyncIterable<string[]>) {
    if (phoneAt === -1) {
      phoneAt = row.indexOf(options.column);
      countryAt = options.countryColumn === undefined ? -1 : row.indexOf(options.countryColumn);
      if (phoneAt === -1) throw new Error(`${options.input}: no column "${options.column}" in the header (${row.join(', ')})`);
      if (options.countryColumn !== undefined && countryAt === -1) {
        throw new Error(`${options.input}: no column "${options.countryColumn}" in the header (${row.join(', ')})`);
      }
      await write([...row, 'e164', 'line_type', 'reject_reason']);
      continue;
    }
    const region = contactRegion({ rowCountry: countryAt === -1 ? null : row[countryAt]?.trim().toUpperCase(), defaultCountry: options.defaultCountry });
    const phone = normalizePhone(row[phoneAt] ?? null, region);
    counts.rows++;
    if (phone.accepted) {
      counts.accepted++;
      await write([...row, phone.e164, phone.lineType, '']);
    } else {
      counts.rejectedByReason[phone.reason] = (counts.rejectedByReason[phone.reason] ?? 0) + 1;
      await write([...row, '', '', phone.reason]);
    }
  }
  csv.end();
  await once(written, 'finish');
  return counts;

  async function write(row: string[]): Promise<void> {
    if (!csv.write(row)) await once(csv, 'drain');
  }
}
