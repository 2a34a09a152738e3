import { parsePhoneNumberFromString, validatePhoneNumberLength, isSupportedCountry, type CountryCode } from 'libphonenumber-js/max';

export type RejectReason = 'empty' | 'not_a_number' | 'too_short' | 'too_long' | 'invalid_country' | 'invalid_for_region';

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

// What people paste around a number: bidi and zero-width marks, NBSP, and a tel: scheme.
const INVISIBLE_MARKS = /[\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/g;

/**
 * A phone number as written by a person, to E.164. `region` is the ISO 3166 country the source says the
 * contact belongs to; it is needed to read national numbers.
 */
export function normalizePhone(raw: string | null, region: string | null): NormalizedPhone {
  const text = (raw ?? '').replace(INVISIBLE_MARKS, '').replace(/^tel:/i, '').replace(/\u00A0/g, ' ').trim();
  if (text === '') return { accepted: false, reason: 'empty' };
  const upperRegion = region?.toUpperCase();
  const defaultCountry = upperRegion && isSupportedCountry(upperRegion) ? upperRegion : undefined;
  if (region && !defaultCountry && !text.startsWith('+')) return { accepted: false, reason: 'invalid_country' };

  // `00` is the international prefix across most of the world, also where the region's own prefix differs (US 011).
  const phone = [text, ...(text.startsWith('00') ? [`+${text.slice(2)}`] : [])]
    .map((reading) => parsePhoneNumberFromString(reading, defaultCountry))
    .find((parsed) => parsed?.isValid());
  if (phone) {
    const type = phone.getType();
    return {
      accepted: true,
      e164: phone.number,
      country: phone.country ?? null,
      lineType: type ? (type.toLowerCase() as LineType) : 'unknown',
    };
  }
  return { accepted: false, reason: rejectReason(text, defaultCountry) };
}

function rejectReason(text: string, defaultCountry: CountryCode | undefined): RejectReason {
  switch (validatePhoneNumberLength(text, defaultCountry)) {
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
