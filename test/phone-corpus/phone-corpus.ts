// A deterministic corpus of phone numbers written the ways customers' records hold them, for testing and
// benchmarking the normaliser. `expected` is the number the generator built (checked valid with
// libphonenumber-js/max), never what the normaliser makes of the text.
import mobileExamples from 'libphonenumber-js/mobile/examples';
import { Metadata, getCountryCallingCode, parsePhoneNumberFromString, type CountryCode, type PhoneNumber } from 'libphonenumber-js/max';

export interface CorpusEntry {
  raw: string;
  region: string | null;
  /** E.164, or null when the entry must be rejected. */
  expected: string | null;
  /** Which way of writing it, for the report. */
  form: string;
}

const ARAB_REGIONS: readonly CountryCode[] = ['AE', 'SA', 'EG', 'JO', 'MA', 'KW', 'QA', 'BH', 'OM', 'LB', 'IQ', 'DZ', 'TN'];
const EASTERN_EUROPEAN_REGIONS: readonly CountryCode[] = ['PL', 'UA', 'RO', 'CZ', 'HU', 'BG', 'RS', 'RU', 'BY', 'KZ'];
const OTHER_REGIONS: readonly CountryCode[] = [
  'US', 'CA', 'GB', 'DE', 'FR', 'ES', 'IT', 'NL', 'TR', 'IN', 'PK', 'BR', 'MX', 'AR', 'NG', 'KE', 'ZA', 'AU', 'JP', 'CN',
  'KR', 'ID', 'PH', 'IR', 'AF',
];
// Contacts typed on Persian and Urdu keyboards carry Extended Arabic-Indic digits.
const PERSIAN_DIGIT_REGIONS: readonly CountryCode[] = ['IR', 'AF', 'PK'];

export const CORPUS_REGIONS: readonly CountryCode[] = [...ARAB_REGIONS, ...EASTERN_EUROPEAN_REGIONS, ...OTHER_REGIONS];

const INVALID_SHARE = 0.12;
const ARABIC_INDIC_ZERO = 0x0660;
const PERSIAN_ZERO = 0x06f0;
// Country calling codes ITU has not assigned.
const UNASSIGNED_CALLING_CODES = ['280', '281', '283', '289', '292', '295', '801', '806', '835', '839', '890', '896', '990', '997', '999'];
const NOT_NUMBERS = ['n/a', 'N/A', 'unknown', 'none', '-', 'no phone', 'tbd', '?', 'x', 'null', 'ask reception'];
const BLANKS = ['', ' ', '   ', '\t', '\u00A0', '\u200E', '\u200B\u200F'];
const BIDI_WRAPPINGS: readonly (readonly [string, string])[] = [
  ['\u200E', '\u200E'],
  ['\u200F', '\u200F'],
  ['\u202A', '\u202C'],
  ['\u2066', '\u2069'],
  ['\uFEFF', ''],
];

export function phoneCorpus(options: { seed: number; perRegion: number }): CorpusEntry[] {
  const random = seededRandom(options.seed);
  const entries: CorpusEntry[] = [];
  for (const country of CORPUS_REGIONS) {
    for (let i = 0; i < options.perRegion; i++) {
      const invalid = random.next() < INVALID_SHARE;
      entries.push(invalid ? invalidEntry(country, random) : validEntry(country, random));
    }
  }
  return entries;
}

// ---------------------------------------------------------------------------------------------------------------
// Valid numbers and the ways they are written.

/** A valid number and the pieces people build its written forms from. */
interface Written {
  phone: PhoneNumber;
  country: CountryCode;
  callingCode: string;
  nsn: string;
  /** `+971 50 123 4567` */
  international: string;
  /** The national significant number in international grouping: `50 123 4567`. */
  groups: string;
  /** `050 123 4567` */
  national: string;
  /** The digits the national format writes before the national significant number (`0`, `8`, `06`), or ''. */
  trunk: string;
}

type Placement = { raw: string; region: string | null } | undefined;

interface ValidForm {
  name: string;
  write(number: Written, random: Random): Placement;
}

const VALID_FORMS: readonly ValidForm[] = [
  { name: 'e164', write: (n, r) => at(n.phone.number, anyRegion(n, r)) },
  { name: 'international-spaces', write: (n, r) => at(n.international, anyRegion(n, r)) },
  { name: 'international-dashes', write: (n, r) => at(n.international.replaceAll(' ', '-'), anyRegion(n, r)) },
  { name: 'international-dots', write: (n, r) => at(n.international.replaceAll(' ', '.'), anyRegion(n, r)) },
  { name: 'national', write: (n) => at(n.national, n.country) },
  { name: 'national-digits', write: (n) => at(digitsOf(n.national), n.country) },
  { name: 'national-without-trunk', write: (n) => (n.trunk ? at(n.groups, n.country) : undefined) },
  {
    name: 'idd-00',
    write: (n, r) => at(r.chance(0.5) ? `00 ${n.callingCode} ${n.groups}` : `00${n.callingCode}${n.nsn}`, anyRegion(n, r)),
  },
  {
    name: 'idd-of-region',
    write: (n, r) => {
      const region = otherRegion(n.country, r);
      const idd = internationalPrefixDialled(region, r);
      return at(r.chance(0.5) ? `${idd} ${n.callingCode} ${n.groups}` : `${idd}${n.callingCode}${n.nsn}`, region);
    },
  },
  { name: 'msisdn', write: (n, r) => unlessAmbiguous(n, `${n.callingCode}${n.nsn}`, anyRegion(n, r)) },
  { name: 'cc-in-parentheses', write: (n, r) => unlessAmbiguous(n, `(${n.callingCode}) ${n.groups}`, anyRegion(n, r)) },
  { name: 'cc-in-parentheses-plus', write: (n, r) => at(`(+${n.callingCode}) ${n.groups}`, anyRegion(n, r)) },
  // Copied from a national form and given the country code in front: `+971 050 123 4567`, `+7 8 (912) 345-67-89`.
  { name: 'trunk-after-cc', write: (n, r) => (n.trunk ? at(`+${n.callingCode} ${n.national}`, anyRegion(n, r)) : undefined) },
  {
    name: 'trunk-in-parentheses',
    write: (n, r) =>
      n.trunk && n.trunk === plan(n.country).nationalPrefix() ? at(`+${n.callingCode} (${n.trunk}) ${n.groups}`, anyRegion(n, r)) : undefined,
  },
  { name: 'tel-uri', write: (n, r) => at(`tel:${n.international.replaceAll(' ', '-')}`, r.chance(0.5) ? n.country : null) },
  { name: 'nbsp', write: (n) => at(n.international.replaceAll(' ', '\u00A0'), n.country) },
  {
    name: 'bidi-marks',
    write: (n, r) => {
      const [before, after] = r.pick(BIDI_WRAPPINGS);
      return at(`${before}${r.chance(0.5) ? n.national : n.international}${after}`, n.country);
    },
  },
  { name: 'zero-width', write: (n, r) => at(`${r.chance(0.5) ? '\uFEFF' : ''}${n.international.replaceAll(' ', '\u200B')}`, n.country) },
  { name: 'arabic-indic-national', write: (n) => inEasternDigits(n, n.national, ARAB_REGIONS, ARABIC_INDIC_ZERO) },
  { name: 'arabic-indic-international', write: (n) => inEasternDigits(n, n.international, ARAB_REGIONS, ARABIC_INDIC_ZERO) },
  { name: 'persian-national', write: (n) => inEasternDigits(n, n.national, PERSIAN_DIGIT_REGIONS, PERSIAN_ZERO) },
  { name: 'persian-international', write: (n) => inEasternDigits(n, n.international, PERSIAN_DIGIT_REGIONS, PERSIAN_ZERO) },
];

function validEntry(country: CountryCode, random: Random): CorpusEntry {
  const phone = (random.chance(0.5) && fixedLineNumber(country, random)) || mobileNumber(country, random);
  const number = written(phone, country);
  return placed(VALID_FORMS, (form) => form.write(number, random), random, phone.number);
}

function written(phone: PhoneNumber, country: CountryCode): Written {
  const national = phone.formatNational();
  const nationalDigits = digitsOf(national);
  const callingCode = phone.countryCallingCode;
  const international = phone.formatInternational();
  return {
    phone,
    country,
    callingCode,
    nsn: phone.nationalNumber,
    international,
    groups: international.slice(callingCode.length + 2),
    national,
    trunk: nationalDigits.endsWith(phone.nationalNumber) ? nationalDigits.slice(0, -phone.nationalNumber.length) : '',
  };
}

/** The country's example mobile number with its trailing digits varied. */
function mobileNumber(country: CountryCode, random: Random): PhoneNumber {
  const example = mobileExamples[country];
  if (!example) throw new Error(`no example mobile number for ${country}`);
  for (let attempt = 0; attempt < 50; attempt++) {
    const kept = random.int(2, example.length - 2);
    const phone = validNumber(country, example.slice(0, kept) + random.digits(example.length - kept), ['MOBILE', 'FIXED_LINE_OR_MOBILE']);
    if (phone) return phone;
  }
  const phone = validNumber(country, example, ['MOBILE', 'FIXED_LINE_OR_MOBILE']);
  if (!phone) throw new Error(`the example mobile number of ${country} is not valid`);
  return phone;
}

/** libphonenumber-js ships no fixed-line examples, so one is drawn from the country's fixed-line pattern. */
function fixedLineNumber(country: CountryCode, random: Random): PhoneNumber | undefined {
  const pattern = plan(country).type('FIXED_LINE')?.pattern();
  if (!pattern) return undefined;
  for (let attempt = 0; attempt < 50; attempt++) {
    const phone = validNumber(country, sampleOf(pattern, random), ['FIXED_LINE', 'FIXED_LINE_OR_MOBILE']);
    if (phone) return phone;
  }
  return undefined;
}

// The metadata allows some national numbers longer than E.164's 15 digits; no customer has one.
const E164_MAX_DIGITS = 15;

function validNumber(country: CountryCode, nsn: string, types: readonly string[]): PhoneNumber | undefined {
  const phone = parsePhoneNumberFromString(`+${getCountryCallingCode(country)}${nsn}`);
  const type = phone?.getType();
  const fits = phone && phone.number.length - 1 <= E164_MAX_DIGITS;
  return fits && phone.isValid() && phone.country === country && type && types.includes(type) ? phone : undefined;
}

/** The row's own country, none, or another one: an explicit international number reads the same in any. */
function anyRegion(number: Written, random: Random): string | null {
  const roll = random.next();
  return roll < 0.5 ? number.country : roll < 0.75 ? null : otherRegion(number.country, random);
}

function otherRegion(country: CountryCode, random: Random): CountryCode {
  for (;;) {
    const region = random.pick(CORPUS_REGIONS);
    if (region !== country) return region;
  }
}

/** A concrete dialling string for the region's international prefix: its preferred one or any its pattern allows. */
function internationalPrefixDialled(region: CountryCode, random: Random): string {
  const numberingPlan = plan(region);
  const preferred = (numberingPlan.defaultIDDPrefix() || '').replaceAll('~', '');
  return preferred && random.chance(0.5) ? preferred : sampleOf(numberingPlan.IDDPrefix(), random);
}

/** Digits without `+` that are also a valid number as written in the row's region cannot be told apart by anyone. */
function unlessAmbiguous(number: Written, raw: string, region: string | null): Placement {
  const asWritten = region === null ? undefined : parsePhoneNumberFromString(raw, region as CountryCode);
  return asWritten?.isValid() && asWritten.number !== number.phone.number ? undefined : at(raw, region);
}

function inEasternDigits(number: Written, text: string, regions: readonly CountryCode[], zero: number): Placement {
  if (!regions.includes(number.country)) return undefined;
  return at(text.replace(/\d/g, (digit) => String.fromCharCode(zero + Number(digit))), number.country);
}

// ---------------------------------------------------------------------------------------------------------------
// Entries that must be rejected.

interface InvalidForm {
  name: string;
  write(country: CountryCode, random: Random): Placement;
}

const INVALID_FORMS: readonly InvalidForm[] = [
  { name: 'invalid-empty', write: (c, r) => at(r.pick(BLANKS), c) },
  { name: 'invalid-letters', write: (c, r) => at(r.pick(NOT_NUMBERS), c) },
  { name: 'invalid-too-short', write: (c, r) => at(`${r.chance(0.3) ? '+' : ''}${r.digits(r.int(1, 3))}`, c) },
  { name: 'invalid-too-long', write: (c, r) => at(`${r.chance(0.5) ? '+' : ''}${r.int(1, 9)}${r.digits(r.int(17, 21))}`, c) },
  { name: 'invalid-unassigned-range', write: unassignedNumber },
  { name: 'invalid-national-without-region', write: (c, r) => at(written(mobileNumber(c, r), c).national, null) },
  {
    name: 'invalid-country-code',
    write: (c, r) => at(`+${r.pick(UNASSIGNED_CALLING_CODES)} ${r.digits(4)} ${r.digits(4)}`, r.chance(0.5) ? c : null),
  },
  { name: 'invalid-region-xx', write: (c, r) => at(written(mobileNumber(c, r), c).national, 'XX') },
];

function invalidEntry(country: CountryCode, random: Random): CorpusEntry {
  return placed(
    INVALID_FORMS,
    (form) => {
      const placement = form.write(country, random);
      return placement && !readsAsSomeNumber(placement.raw, placement.region) ? placement : undefined;
    },
    random,
    null,
  );
}

/** A number of possible length whose leading digits are in no assigned range: `+971 51 123 4567`. */
function unassignedNumber(country: CountryCode, random: Random): Placement {
  const number = written(mobileNumber(country, random), country);
  const changed = random.int(1, 2);
  const nsn = random.digits(changed) + number.nsn.slice(changed);
  // A leading trunk prefix would make `+971 0…` a legitimate reading of another number.
  if (nsn.startsWith(plan(country).nationalPrefix() || '0')) return undefined;
  const phone = parsePhoneNumberFromString(`+${number.callingCode}${nsn}`);
  if (!phone?.isPossible() || phone.isValid()) return undefined;
  return random.chance(0.5) || !number.trunk ? at(`+${number.callingCode} ${nsn}`, country) : at(`${number.trunk} ${nsn}`, country);
}

/** Leaves out of the rejected entries any text that, read plainly, is a valid number after all. */
function readsAsSomeNumber(raw: string, region: string | null): boolean {
  const digits = digitsOf(raw);
  const readings = [parsePhoneNumberFromString(raw, region && region !== 'XX' ? (region as CountryCode) : undefined)];
  if (digits) readings.push(parsePhoneNumberFromString(`+${digits}`));
  if (digits.startsWith('00')) readings.push(parsePhoneNumberFromString(`+${digits.slice(2)}`));
  return readings.some((phone) => phone?.isValid());
}

// ---------------------------------------------------------------------------------------------------------------

/** Picks forms at random until one applies to this number or region. */
function placed<Form extends { name: string }>(
  forms: readonly Form[],
  write: (form: Form) => Placement,
  random: Random,
  expected: string | null,
): CorpusEntry {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const form = random.pick(forms);
    const placement = write(form);
    if (placement) return { ...placement, expected, form: form.name };
  }
  throw new Error('no form applies');
}

function at(raw: string, region: string | null): Placement {
  return { raw, region };
}

function digitsOf(text: string): string {
  return text.replace(/\D/g, '');
}

// The parts of a numbering plan libphonenumber-js has but does not declare in its types; its compressed
// metadata writes 0 for an absent value.
interface NumberingPlanDetails {
  IDDPrefix(): string;
  defaultIDDPrefix(): string | 0 | undefined;
  nationalPrefix(): string | 0 | undefined;
  type(type: 'FIXED_LINE'): { pattern(): string } | undefined;
}

const metadata = new Metadata();

function plan(country: CountryCode): NumberingPlanDetails {
  metadata.selectNumberingPlan(country);
  return metadata.numberingPlan as unknown as NumberingPlanDetails;
}

// ---------------------------------------------------------------------------------------------------------------
// A random string matching a metadata pattern. The patterns use only digits, \d, classes, (?:…) groups,
// alternation, `?` and {n} / {n,m}.

type Alternation = Sequence[];
type Sequence = { part: Part; min: number; max: number }[];
type Part = { digits: string[] } | { alternation: Alternation };

const compiledPatterns = new Map<string, Alternation>();

function sampleOf(pattern: string, random: Random): string {
  let alternation = compiledPatterns.get(pattern);
  if (!alternation) compiledPatterns.set(pattern, (alternation = compiled(pattern)));
  return sampleAlternation(alternation, random);
}

function sampleAlternation(alternation: Alternation, random: Random): string {
  let text = '';
  for (const { part, min, max } of random.pick(alternation)) {
    for (let times = random.int(min, max); times > 0; times--) {
      text += 'digits' in part ? random.pick(part.digits) : sampleAlternation(part.alternation, random);
    }
  }
  return text;
}

function compiled(pattern: string): Alternation {
  let cursor = 0;
  const alternation = (): Alternation => {
    const branches: Alternation = [[]];
    while (cursor < pattern.length && pattern[cursor] !== ')') {
      if (pattern[cursor] === '|') {
        cursor++;
        branches.push([]);
        continue;
      }
      const part = partAt();
      const [min, max] = quantifier();
      branches.at(-1)!.push({ part, min, max });
    }
    return branches;
  };
  const partAt = (): Part => {
    const char = pattern[cursor++]!;
    if (char === '\\' && pattern[cursor++] === 'd') return { digits: [...'0123456789'] };
    if (char === '(') {
      if (pattern.startsWith('?:', cursor)) cursor += 2;
      const inner = alternation();
      cursor++;
      return { alternation: inner };
    }
    if (char === '[') {
      const digits: string[] = [];
      while (pattern[cursor] !== ']') {
        const from = pattern[cursor++]!;
        const to = pattern[cursor] === '-' ? pattern[(cursor += 2) - 1]! : from;
        for (let code = from.charCodeAt(0); code <= to.charCodeAt(0); code++) digits.push(String.fromCharCode(code));
      }
      cursor++;
      return { digits };
    }
    if (/\d/.test(char)) return { digits: [char] };
    throw new Error(`unsupported pattern syntax cursor ${cursor - 1} in ${pattern}`);
  };
  const quantifier = (): [number, number] => {
    if (pattern[cursor] === '?') {
      cursor++;
      return [0, 1];
    }
    const bounds = /^\{(\d+)(?:,(\d+))?\}/.exec(pattern.slice(cursor));
    if (!bounds) return [1, 1];
    cursor += bounds[0].length;
    return [Number(bounds[1]), Number(bounds[2] ?? bounds[1])];
  };
  return alternation();
}

// ---------------------------------------------------------------------------------------------------------------

interface Random {
  next(): number;
  chance(probability: number): boolean;
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  digits(count: number): string;
}

/** mulberry32: small, fast and the same on every run for a seed. */
function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    chance: (probability) => next() < probability,
    int,
    pick: <T>(items: readonly T[]) => items[int(0, items.length - 1)]!,
    digits: (count) => Array.from({ length: count }, () => String(int(0, 9))).join(''),
  };
}
