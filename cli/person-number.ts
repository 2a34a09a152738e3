import { normalizePhone, type RejectReason } from '../activities/clean/normalize-phone.ts';
import { UsageError } from './usage-error.ts';

const WHY: Record<RejectReason, string> = {
  empty: 'it is empty',
  not_a_number: 'it has no digits',
  too_short: 'too few digits for a phone number',
  too_long: 'too many digits for a phone number',
  invalid_country: 'a number without its country code needs --country',
  invalid_for_region: 'no such number in its country',
  ambiguous: 'it reads as two different numbers; write it with + and the country code',
  needs_phone_share: 'not a phone number',
};

/** `--phone` (with `--country` for a national number) in E.164, read as the pipeline reads a source's number. */
export function personNumber(command: string, phone: string | undefined, country: string | undefined): string {
  if (phone === undefined) throw new UsageError(`${command} needs --phone NUMBER`);
  const region = country?.toUpperCase();
  if (region !== undefined && !/^[A-Z]{2}$/.test(region)) throw new UsageError(`${command} --country "${country}": an ISO 3166 alpha-2 code, like AE`);
  const read = normalizePhone(phone, region ?? null);
  if (!read.accepted) throw new UsageError(`${command} --phone "${phone}": not a phone number we can read (${WHY[read.reason]})`);
  return read.e164;
}
