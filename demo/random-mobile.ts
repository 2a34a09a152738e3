import { getExampleNumber, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/mobile/examples';

/** A valid mobile number of `country` in E.164, drawn from `random`. */
export function randomMobile(country: CountryCode, random: () => number): string {
  const example = getExampleNumber(country, examples)!;
  const national = example.nationalNumber;
  for (;;) {
    // Keep the example's leading digits (they carry the mobile prefix) and vary the rest.
    const keep = Math.min(3, national.length - 4);
    const rest = Array.from({ length: national.length - keep }, () => Math.floor(random() * 10)).join('');
    const candidate = parsePhoneNumberFromString(`+${example.countryCallingCode}${national.slice(0, keep)}${rest}`);
    if (candidate?.isValid() && candidate.country === country) return candidate.number;
  }
}
