import {
  Metadata,
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
const DIGIT = /\d/;
// Only text beyond printable ASCII can hold marks or Eastern digits: most numbers skip those replacements.
const BEYOND_ASCII = /[^\x20-\x7E]/;
// E.164 allows at most 15 digits; no assigned number has fewer than 7.
const PLAUSIBLE_INTERNATIONAL = /^\+\d{7,15}$/;
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
  if (!DIGIT.test(text)) return { accepted: false, reason: 'not_a_number' };
  const upperRegion = region?.toUpperCase();
  const country = upperRegion && isSupportedCountry(upperRegion) ? upperRegion : undefined;
  if (region && !country && !text.startsWith('+')) return { accepted: false, reason: 'invalid_country' };

  const asWritten = parsePhoneNumberFromString(text, country);
  if (asWritten?.isValid()) return doubleZeroSettled(text, country, asWritten);

  const valid = new Map<string, PhoneNumber>();
  if (text.startsWith('+')) {
    const trunkless = asWritten && withoutTrunkPrefix(asWritten);
    if (trunkless) valid.set(trunkless.number, trunkless);
  } else {
    for (const reading of internationalReadings(text, country)) {
      const phone = validInternational(reading);
      if (phone) valid.set(phone.number, phone);
    }
  }
  if (valid.size === 1) return accepted([...valid.values()][0]!);
  if (valid.size > 1) return { accepted: false, reason: 'ambiguous' };
  // A national number needs a region to be read in; libphonenumber would say so too, after another parse.
  if (!country && !text.startsWith('+')) return { accepted: false, reason: 'invalid_country' };
  return { accepted: false, reason: rejectReason(validatePhoneNumberLength(text, country)) };
}

/**
 * In some regions `00…` also starts a national number or a carrier's own international prefix (KR 008, NG 009,
 * BR 00 + carrier). When reading `00` as the common international prefix gives another valid number, the
 * writer's grouping decides (`00 82 …` against `009 1 …`); without one, nobody can tell which was meant.
 */
function doubleZeroSettled(text: string, country: CountryCode | undefined, asWritten: PhoneNumber): NormalizedPhone {
  if (!text.startsWith('00')) return accepted(asWritten);
  const digits = text.replace(/\D/g, '');
  const regionPrefix = regionPrefixOf(digits, country);
  // Where the region's own prefix is `00`, the number as written already is the `00` reading.
  if (regionPrefix === '00') return accepted(asWritten);
  const viaDoubleZero = validInternational(`+${digits.slice(2)}`);
  if (!viaDoubleZero || viaDoubleZero.number === asWritten.number) return accepted(asWritten);
  const prefix = writtenPrefix(text);
  if (prefix === '00') return accepted(viaDoubleZero);
  if (prefix !== undefined && prefix === regionPrefix) return accepted(asWritten);
  return { accepted: false, reason: 'ambiguous' };
}

/** The first group of digits when the writer set it apart (`0011 44 …` → `0011`). */
function writtenPrefix(text: string): string | undefined {
  return /^(\d+)\D/.exec(text)?.[1];
}

function regionPrefixOf(digits: string, country: CountryCode | undefined): string | undefined {
  return country && internationalPrefix(country)?.exec(digits)?.[0];
}

function cleaned(raw: string): string {
  const text = BEYOND_ASCII.test(raw)
    ? raw
        .replace(INVISIBLE_MARKS, '')
        .replace(EASTERN_DIGITS, (digit) => String(digit.charCodeAt(0) - (digit >= '\u06F0' ? 0x06f0 : 0x0660)))
        .replace(/\u00A0/g, ' ')
    : raw;
  return text.trim().replace(TEL_SCHEME, '');
}

/** The ways a number written without `+` can still be international, each as `+digits`, once each. */
function internationalReadings(text: string, country: CountryCode | undefined): Set<string> {
  const digits = text.replace(/\D/g, '');
  const readings = new Set<string>();
  const inParentheses = COUNTRY_CODE_IN_PARENTHESES.exec(text);
  if (inParentheses) readings.add(`+${inParentheses[1]}${inParentheses[2]!.replace(/\D/g, '')}`);
  // The writer's grouping tells a region's own prefix from the common `00` (see doubleZeroSettled).
  const regionPrefix = regionPrefixOf(digits, country);
  const prefix = writtenPrefix(text);
  if (regionPrefix && !(prefix === '00' && regionPrefix !== '00')) readings.add(`+${digits.slice(regionPrefix.length)}`);
  if (digits.startsWith('00') && !(prefix !== undefined && prefix === regionPrefix)) readings.add(`+${digits.slice(2)}`);
  // No country calling code starts with 0: such digits are no MSISDN.
  if (!digits.startsWith('0')) readings.add(`+${digits}`);
  return readings;
}

/** A valid number read from `+digits`, also when a trunk prefix follows the country code. */
function validInternational(reading: string): PhoneNumber | undefined {
  if (!PLAUSIBLE_INTERNATIONAL.test(reading)) return undefined;
  const phone = parsePhoneNumberFromString(reading);
  if (!phone) return undefined;
  return phone.isValid() ? phone : withoutTrunkPrefix(phone);
}

/** `+971 0 50…`: a national trunk prefix written after the country code, as people copy it from national forms. */
function withoutTrunkPrefix(phone: PhoneNumber): PhoneNumber | undefined {
  const trunk = phone.country && nationalPrefix(phone.country);
  if (!trunk || !phone.nationalNumber.startsWith(trunk)) return undefined;
  const stripped = parsePhoneNumberFromString(`+${phone.countryCallingCode}${phone.nationalNumber.slice(trunk.length)}`);
  return stripped?.isValid() ? stripped : undefined;
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

function rejectReason(length: ReturnType<typeof validatePhoneNumberLength>): RejectReason {
  switch (length) {
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
