import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { once } from 'node:events';
import { stringify } from 'csv-stringify';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { randomMobile } from './random-mobile.ts';
import { seededRandom } from '../connectors/seeded-random.ts';

/** What the generated file holds, to check a migration's counts against. */
export interface CustomerBaseTruth {
  rows: number;
  validRows: number;
  rejectedRows: number;
  distinctNumbers: number;
  /** Every valid number in E.164, to check a migration's contacts against. */
  numbers: ReadonlySet<string>;
}

export const customerBaseColumns = { phone: 'phone', name: 'name', country: 'country' } as const;

export const ARABIC_MARKETS: CountryCode[] = ['AE', 'SA', 'EG', 'JO', 'MA', 'KW', 'QA'];
export const OTHER_MARKETS: CountryCode[] = ['GB', 'DE', 'FR', 'ES', 'PL', 'UA', 'TR', 'IN', 'BR', 'NG', 'US'];
export const ARABIC_NAMES = ['محمد العلي', 'فاطمة الزهراء', 'أحمد حسن', 'مريم خالد', 'يوسف إبراهيم', 'نور الهدى', 'عمر سعيد', 'ليلى منصور'];
export const LATIN_NAMES = ['Anna Kowalska', 'James Smith', 'María García', 'Olena Shevchenko', 'Lukas Müller', 'Chloé Martin', 'Emre Yılmaz', 'Priya Sharma'];
const BAD_NUMBERS = ['', 'n/a', '12', '+999 1234 5678', '0000'];

/**
 * Writes a deterministic customer base like a business's export: numbers in several countries written the
 * ways people write them, names in Arabic and Latin scripts, repeated customers and unusable numbers.
 */
export async function writeCustomerBase(path: string, rows: number, seed = 20261123): Promise<CustomerBaseTruth> {
  const random = seededRandom(seed);
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  await mkdir(dirname(path), { recursive: true });
  const csv = stringify({ header: true, columns: ['customer_id', 'name', 'phone', 'country', 'last_order'] });
  const done = csv.pipe(createWriteStream(path));

  const seen: { e164: string; country: CountryCode }[] = [];
  const distinct = new Set<string>();
  let validRows = 0;
  for (let line = 0; line < rows; line++) {
    const roll = random();
    let phone: string;
    let country: CountryCode;
    if (roll < 0.05) {
      phone = pick(BAD_NUMBERS);
      country = pick(ARABIC_MARKETS);
    } else {
      const repeat = roll < 0.15 && seen.length > 0;
      const known = repeat ? pick(seen) : undefined;
      country = known?.country ?? (random() < 0.5 ? pick(ARABIC_MARKETS) : pick(OTHER_MARKETS));
      const e164 = known?.e164 ?? randomMobile(country, random);
      if (!known) seen.push({ e164, country });
      distinct.add(e164);
      phone = writtenAsPeopleDo(e164, country, random);
      validRows++;
    }
    const name = ARABIC_MARKETS.includes(country) ? pick(ARABIC_NAMES) : pick(LATIN_NAMES);
    const lastOrder = new Date(Date.UTC(2025, 0, 1) + Math.floor(random() * 600) * 86_400_000).toISOString().slice(0, 10);
    if (!csv.write([`C${String(line + 1).padStart(7, '0')}`, name, phone, country, lastOrder])) await once(csv, 'drain');
  }
  csv.end();
  await once(done, 'finish');
  return { rows, validRows, rejectedRows: rows - validRows, distinctNumbers: distinct.size, numbers: distinct };
}

function writtenAsPeopleDo(e164: string, country: CountryCode, random: () => number): string {
  const phone = parsePhoneNumberFromString(e164)!;
  const form = random();
  if (form < 0.25) return phone.number;
  if (form < 0.45) return phone.formatInternational();
  if (form < 0.7) return phone.formatNational();
  if (form < 0.78) return `00${phone.countryCallingCode}${phone.nationalNumber}`;
  // An MSISDN as SMS gateways export it: international digits without `+`.
  if (form < 0.86) return `${phone.countryCallingCode}${phone.nationalNumber}`;
  // The national form with the country code put in front, trunk prefix and all.
  if (form < 0.92) return `+${phone.countryCallingCode} ${phone.formatNational()}`;
  return ARABIC_MARKETS.includes(country)
    ? phone.formatNational().replace(/\d/g, (digit) => String.fromCharCode(0x0660 + Number(digit)))
    : phone.formatInternational().replaceAll(' ', '-');
}
