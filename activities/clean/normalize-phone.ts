import {
  Metadata,
  getCountryCallingCode,
  isSupportedCountry,
  parsePhoneNumberFromString,
  validatePhoneNumberLength,
  type CountryCode,
  type PhoneNumber,
} from 'libphonenumber-js/max';

export type RejectReason =
  | 'empty'
  | 'not_a_number'
  | 'too_short'
  | 'too_long'
  | 'invalid_country'
  | 'invalid_for_region'
  | 'ambiguous';

export type LineType =
  | 'mobile'
  | 'fixed_line'
  | 'fixed_line_or_mobile'
  | 'voip'
  | 'toll_free'
  | 'premium_rate'
  | 'shared_cost'
  | 'personal_number'
  | 'pager'
  | 'uan'
  | 'voicemail'
  | 'unknown';

export type NormalizedPhone =
  | { accepted: true; e164: string; country: string | null; lineType: LineType }
  | { accepted: false; reason: RejectReason };

// What people paste around a number: bidi and zero-width marks, and a tel: scheme.
const INVISIBLE_MARKS = /[\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/g;
const TEL_SCHEME = /^tel:/i;
// Arabic-Indic (U+0660) and Extended Arabic-Indic, the Persian and Urdu ones (U+06F0).
const EASTERN_DIGITS = /[\u0660-\u0669\u06F0-\u06F9]/g;
const COUNTRY_CODE_IN_PARENTHESES = /^\(\s*\+?\s*(\d{1,3})\s*\)(.*)$/s;

/**
 * A phone number as a person wrote it, to E.164. `region` is the ISO 3166 country the source gives the contact;
 * it is needed to read national numbers. The number is read as written first; only when that is not a valid
 * number are the other readings a person would consider tried (the region's or the common `00` international
 * prefix, an MSISDN without `+`, a country code in parentheses, a trunk prefix kept after the country code), and
 * one is accepted only when exactly one of them is valid.
 */
export function normalizePhone(raw: string | null, region: string | null): NormalizedPhone {
  const text = cleaned(raw ?? '');
  if (text === '') return { accepted: false, reason: 'empty' };
  const upperRegion = region?.toUpperCase();
  const country = upperRegion && isSupportedCountry(upperRegion) ? upperRegion : undefined;
  if (region && !country && !text.startsWith('+')) return { accepted: false, reason: 'invalid_country' };

  const asWritten = parsePhoneNumberFromString(text, country);
  if (asWritten?.isValid()) return accepted(asWritten);

  const readings = new Map<string, PhoneNumber>();
  for (const reading of otherReadings(text, country)) {
    const phone = parsePhoneNumberFromString(reading, country);
    if (phone?.isValid()) readings.set(phone.number, phone);
  }
  if (readings.size === 1) return accepted([...readings.values()][0]!);
  if (readings.size > 1) return { accepted: false, reason: 'ambiguous' };
  return { accepted: false, reason: rejectReason(text, country) };
}

function cleaned(raw: string): string {
  return raw
    .replace(INVISIBLE_MARKS, '')
    .replace(EASTERN_DIGITS, (digit) => String((digit.charCodeAt(0) - (digit >= '\u06F0' ? 0x06f0 : 0x0660))))
    .replace(/\u00A0/g, ' ')
    .trim()
    .replace(TEL_SCHEME, '');
}

function* otherReadings(text: string, country: CountryCode | undefined): Generator<string> {
  const digits = text.replace(/\D/g, '');
  if (digits === '') return;
  if (text.startsWith('+')) {
    yield* withoutTrunkPrefix(`+${digits}`);
    return;
  }
  const internationals: string[] = [];
  const inParentheses = COUNTRY_CODE_IN_PARENTHESES.exec(text);
  if (inParentheses) internationals.push(`+${inParentheses[1]}${inParentheses[2]!.replace(/\D/g, '')}`);
  const afterIdd = country && internationalPrefix(country)?.exec(digits);
  if (afterIdd) internationals.push(`+${digits.slice(afterIdd[0].length)}`);
  if (digits.startsWith('00')) internationals.push(`+${digits.slice(2)}`);
  internationals.push(`+${digits}`);
  for (const international of internationals) {
    yield international;
    yield* withoutTrunkPrefix(international);
  }
}

/** `+971 0 50…`: a national trunk prefix written after the country code, as people copy it from national forms. */
function* withoutTrunkPrefix(international: string): Generator<string> {
  const phone = parsePhoneNumberFromString(international);
  const country = phone?.country;
  if (!phone || !country) return;
  const trunk = nationalPrefix(country);
  if (trunk && phone.nationalNumber.startsWith(trunk)) {
    yield `+${getCountryCallingCode(country)}${phone.nationalNumber.slice(trunk.length)}`;
  }
}

const metadata = new Metadata();
const iddPatterns = new Map<CountryCode, RegExp | undefined>();
const nationalPrefixes = new Map<CountryCode, string | undefined>();

function internationalPrefix(country: CountryCode): RegExp | undefined {
  if (!iddPatterns.has(country)) {
    metadata.selectNumberingPlan(country);
    const pattern = (metadata.numberingPlan as { IDDPrefix(): string | undefined } | undefined)?.IDDPrefix();
    iddPatterns.set(country, pattern ? new RegExp(`^(?:${pattern})`) : undefined);
  }
  return iddPatterns.get(country);
}

function nationalPrefix(country: CountryCode): string | undefined {
  if (!nationalPrefixes.has(country)) {
    metadata.selectNumberingPlan(country);
    nationalPrefixes.set(country, (metadata.numberingPlan as { nationalPrefix(): string | undefined } | undefined)?.nationalPrefix());
  }
  return nationalPrefixes.get(country);
}

function accepted(phone: PhoneNumber): NormalizedPhone {
  const type = phone.getType();
  return { accepted: true, e164: phone.number, country: phone.country ?? null, lineType: type ? (type.toLowerCase() as LineType) : 'unknown' };
}

function rejectReason(text: string, country: CountryCode | undefined): RejectReason {
  switch (validatePhoneNumberLength(text, country)) {
    case 'NOT_A_NUMBER':
      return 'not_a_number';
    case 'INVALID_COUNTRY':
      return 'invalid_country';
    case 'TOO_SHORT':
      return 'too_short';
    case 'TOO_LONG':
      return 'too_long';
    default:
      return 'invalid_for_region';
  }
}
