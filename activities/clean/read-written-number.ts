import { contactRegion } from './contact-region.ts';
import { normalizePhone } from './normalize-phone.ts';

/**
 * The E.164 number cleaning reads a number as, written as a row of `country` (any case) holds it, or null: for
 * finding a person's rows and numbers elsewhere by the pipeline's own reading, never by loose digit matching.
 */
export function readWrittenNumber(written: string | null, country: string | null): string | null {
  const phone = normalizePhone(written, contactRegion({ rowCountry: country?.toUpperCase() }));
  return phone.accepted ? phone.e164 : null;
}
