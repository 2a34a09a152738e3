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
  | 'ambiguous'
  /** A Viber subscriber who never pressed the share-phone button: reachable on Viber only, until they do. */
  | 'needs_phone_share';

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
 * prefix, an MSISDN without `+`, a country code in parentheses, a trunk prefix kept after the country code). A
 * reading is accepted when it is the only valid one, or when what `settled` weighs tells several apart.
 */
export function normalizePhone(raw: string | null, region: string | null): NormalizedPhone {
  const text = cleaned(raw ?? '');
  if (text === '') return { accepted: false, reason: 'empty' };
  if (!DIGIT.test(text)) return { accepted: false, reason: 'not_a_number' };
  const upperRegion = region?.toUpperCase();
  const country = upperRegion && isSupportedCountry(upperRegion) ? upperRegion : undefined;
  if (region && !country && !text.startsWith('+')) return { accepted: false, reason: 'invalid_country' };

  const asWritten = parsePhoneNumberFromString(text, country);
  if (asWritten?.isValid()) {
    const contender = contenderOf(text, country, asWritten);
    return contender ? settled(text, country, [{ via: 'as_written', phone: asWritten }, contender]) : accepted(asWritten);
  }
  const readings: Reading[] = [];
  if (text.startsWith('+')) {
    const trunkless = asWritten && withoutTrunkPrefix(asWritten);
    if (trunkless) readings.push({ via: 'as_written', phone: trunkless });
  } else {
    for (const { via, international } of internationalReadings(text, country)) {
      const phone = validInternational(international);
      if (phone) readings.push({ via, phone });
    }
  }
  return settled(text, country, readings);
}

/** Another valid reading of a number that is valid as written, where one exists; most numbers have none. */
function contenderOf(text: string, country: CountryCode | undefined, asWritten: PhoneNumber): Reading | undefined {
  const startsWithCountryCode = country && !text.startsWith('+') && text.startsWith(asWritten.countryCallingCode);
  if (!text.startsWith('00') && !startsWithCountryCode) return undefined;
  const digits = text.replace(/\D/g, '');
  if (text.startsWith('00')) {
    if (regionPrefixOf(digits, country) === '00') return undefined;
    const phone = validInternational(`+${digits.slice(2)}`);
    return phone && { via: 'double_zero', phone };
  }
  const phone = validInternational(`+${digits}`);
  return phone && { via: 'msisdn', phone };
}

type Via = 'as_written' | 'region_prefix' | 'double_zero' | 'msisdn' | 'parentheses';

interface Reading {
  via: Via;
  phone: PhoneNumber;
}

/**
 * One valid number: that one. Several: in some regions `00…` also starts a national number or a carrier's own
 * international prefix (KR 008, NG 009, BR 00 + carrier); the writer's grouping decides (`00 82 …` against
 * `009 1 …`). Digits that start with the region's country code read both as a national number and as an MSISDN
 * (`4915181622584` in DE); contacts come from SMS and Viber, so if exactly one of the two can take messages,
 * that one was meant. Otherwise nobody can tell, and the row is rejected as ambiguous.
 */
function settled(text: string, country: CountryCode | undefined, readings: readonly Reading[]): NormalizedPhone {
  const distinct = [...new Map(readings.map((reading) => [reading.phone.number, reading])).values()];
  if (distinct.length === 1) return accepted(distinct[0]!.phone);
  if (distinct.length === 0) {
    // A national number needs a region to be read in; libphonenumber would say so too, after another parse.
    if (!country && !text.startsWith('+')) return { accepted: false, reason: 'invalid_country' };
    return { accepted: false, reason: rejectReason(validatePhoneNumberLength(text, country)) };
  }
  const prefix = writtenPrefix(text);
  const grouped =
    prefix === '00'
      ? distinct.find((r) => r.via === 'double_zero')
      : prefix !== undefined && prefix === regionPrefixOf(text.replace(/\D/g, ''), country)
        ? distinct.find((r) => r.via === 'region_prefix' || r.via === 'as_written')
        : undefined;
  if (grouped) return accepted(grouped.phone);
  const nationalOrMsisdn = distinct.length === 2 && distinct.some((r) => r.via === 'msisdn') && distinct.some((r) => r.via === 'as_written');
  const messageable = distinct.filter((r) => takesMessages(r.phone));
  if (nationalOrMsisdn && messageable.length === 1) return accepted(messageable[0]!.phone);
  return { accepted: false, reason: 'ambiguous' };
}

function takesMessages(phone: PhoneNumber): boolean {
  const type = phone.getType();
  return type === 'MOBILE' || type === 'FIXED_LINE_OR_MOBILE';
}

/** The first group of digits when the writer set it apart (`0011 44 …` → `0011`). */
function writtenPrefix(text: string): string | undefined {
  return /^(\d+)\D/.exec(text)?.[1];
}

function regionPrefixOf(digits: string, country: CountryCode | undefined): string | undefined {
  return country && internationalPrefix(country)?.exec(digits)?.[0];
}

/** `text` with its Arabic-Indic and Persian digits written as ASCII ones, as cleaning reads them. */
export function asciiDigits(text: string): string {
  return text.replace(EASTERN_DIGITS, easternDigitValue);
}

function easternDigitValue(digit: string): string {
  return String(digit.charCodeAt(0) - (digit >= '\u06F0' ? 0x06f0 : 0x0660));
}

function cleaned(raw: string): string {
  const text = BEYOND_ASCII.test(raw)
    ? asciiDigits(raw.replace(INVISIBLE_MARKS, '')).replace(/\u00A0/g, ' ')
    : raw;
  return text.trim().replace(TEL_SCHEME, '');
}

/** The ways a number written without `+` can still be international, each as `+digits`. */
function internationalReadings(text: string, country: CountryCode | undefined): { via: Via; international: string }[] {
  const digits = text.replace(/\D/g, '');
  const readings: { via: Via; international: string }[] = [];
  const inParentheses = COUNTRY_CODE_IN_PARENTHESES.exec(text);
  if (inParentheses) readings.push({ via: 'parentheses', international: `+${inParentheses[1]}${inParentheses[2]!.replace(/\D/g, '')}` });
  const regionPrefix = regionPrefixOf(digits, country);
  if (regionPrefix) readings.push({ via: 'region_prefix', international: `+${digits.slice(regionPrefix.length)}` });
  if (digits.startsWith('00') && regionPrefix !== '00') readings.push({ via: 'double_zero', international: `+${digits.slice(2)}` });
  // No country calling code starts with 0: such digits are no MSISDN.
  if (!digits.startsWith('0')) readings.push({ via: 'msisdn', international: `+${digits}` });
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
