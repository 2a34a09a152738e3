import { randomBytes } from 'node:crypto';
import { getExampleNumber, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/mobile/examples';
import { describe, expect, it } from 'vitest';
import { normalizePhone } from '../activities/clean/normalize-phone.ts';
import { seededRandom } from '../connectors/seeded-random.ts';
import { ARABIC_MARKETS, OTHER_MARKETS } from '../demo/customer-base.ts';
import { randomMobile } from '../demo/random-mobile.ts';
import { FakePhoneNumbers } from './fake-phone-number.ts';
import { PseudonymKey } from './pseudonym-key.ts';

const MOBILE_MARKETS: CountryCode[] = [...ARABIC_MARKETS, ...OTHER_MARKETS, 'CA', 'AU', 'JP', 'CN', 'MX', 'AR', 'IT', 'NL', 'RU', 'ZA', 'LB', 'BH', 'OM', 'IQ', 'DZ', 'TN'];

/** Numbers of other types than mobile, each valid as written (checked below). */
const OTHER_TYPES = [
  '+442071838750', // GB fixed line
  '+4930123456', // DE fixed line, short
  '+49891234567', // DE fixed line
  '+4922112345678', // DE fixed line, long
  '+12015550123', // US fixed line or mobile
  '+14155552671', // US fixed line or mobile
  '+18005550100', // US toll free
  '+33123456789', // FR fixed line
  '+390212345678', // IT fixed line, with its leading zero
  '+97122345678', // AE fixed line
  '+20234567890', // EG fixed line
  '+966112345678', // SA fixed line
  '+447457612345', // IM mobile, inside +44 7
  '+80012345678', // international freephone, of no region
];

function sameNumberKind(original: string, fake: string) {
  const a = parsePhoneNumberFromString(original)!;
  const b = parsePhoneNumberFromString(fake);
  return { valid: b?.isValid(), country: b?.country === a.country, type: b?.getType() === a.getType(), length: fake.length === original.length };
}

describe('fake phone numbers', () => {
  it('are valid numbers of the same region and line type, of the same length, never the original', () => {
    const random = seededRandom(7);
    const originals = [
      ...MOBILE_MARKETS.flatMap((country) => [getExampleNumber(country, examples)!.number, ...Array.from({ length: 50 }, () => randomMobile(country, random))]),
      ...OTHER_TYPES,
    ];
    for (const number of OTHER_TYPES) expect(parsePhoneNumberFromString(number)?.isValid(), number).toBe(true);
    const fakes = new FakePhoneNumbers(new PseudonymKey());
    for (const original of new Set(originals)) {
      const fake = fakes.fake(original);
      expect(fake, original).not.toBe(original);
      expect(sameNumberKind(original, fake), `${original} → ${fake}`).toEqual({ valid: true, country: true, type: true, length: true });
    }
  });

  it('are the same within a copy and differ from one copy to the next', () => {
    const random = seededRandom(11);
    const originals = Array.from({ length: 1000 }, () => randomMobile(random() < 0.5 ? 'AE' : 'GB', random));
    const secret = randomBytes(32);
    const copy = new FakePhoneNumbers(new PseudonymKey(secret));
    const first = originals.map((n) => copy.fake(n));
    expect(originals.map((n) => copy.fake(n))).toEqual(first);
    // The choice is the keyed hash's, not chance: the same secret draws the same fakes.
    const sameSecret = new FakePhoneNumbers(new PseudonymKey(secret));
    expect(originals.map((n) => sameSecret.fake(n))).toEqual(first);
    const another = new FakePhoneNumbers(new PseudonymKey());
    const second = originals.map((n) => another.fake(n));
    expect(second.filter((fake, i) => fake === first[i]!).length).toBeLessThan(10);
  });

  it('never give two of 100,000 numbers of one region the same fake, nor any of them a real one', () => {
    const originals = Array.from({ length: 100_000 }, (_, i) => `+4474${String((i * 7919) % 100_000_000).padStart(8, '0')}`);
    expect(new Set(originals).size).toBe(100_000);
    const fakes = new FakePhoneNumbers(new PseudonymKey());
    for (const original of originals) fakes.avoid(original);
    const given = originals.map((original) => fakes.fake(original));
    expect(new Set(given).size).toBe(100_000);
    const real = new Set(originals);
    expect(given.filter((fake) => real.has(fake))).toEqual([]);
    const wrong = given.filter((fake, i) => {
      const kind = sameNumberKind(originals[i]!, fake);
      return !(kind.valid && kind.country && kind.type);
    });
    expect(wrong).toEqual([]);
  }, 120_000);

  it('keep a written number as written, with the fake national number in its place', () => {
    const fakes = new FakePhoneNumbers(new PseudonymKey());
    const writings: [string, string, string][] = [
      ['+447400123456', 'GB', '+44 7400 123456'],
      ['+447400123456', 'GB', '07400 123456'],
      ['+447400123456', 'GB', '0044 7400 123456'],
      ['+447400123456', 'GB', '447400123456'],
      ['+447400123456', 'GB', '+44 (0)7400 123456'],
      ['+447400123456', 'GB', '+44-7400-123456'],
      ['+971501234567', 'AE', '٠٥٠١٢٣٤٥٦٧'],
      ['+971501234567', 'AE', '۰۵۰ ۱۲۳ ۴۵۶۷'],
      ['+201001234567', 'EG', '010 01234567'],
    ];
    for (const [e164, region, written] of writings) {
      const fake = fakes.fakeWritten(written, e164);
      expect(fake.replace(/[\d\u0660-\u0669\u06F0-\u06F9]/g, '#'), written).toBe(written.replace(/[\d\u0660-\u0669\u06F0-\u06F9]/g, '#'));
      const read = normalizePhone(fake, region);
      expect(read.accepted && read.e164, `${written} → ${fake}`).toBe(fakes.fake(e164));
    }
  });

  it('replace what libphonenumber cannot read by the same shape with other digits', () => {
    const fakes = new FakePhoneNumbers(new PseudonymKey());
    for (const unreadable of ['+999 1234 5678', '12', '0000', 'call 555-0199 after 6']) {
      const fake = fakes.fake(unreadable);
      expect(fake).not.toBe(unreadable);
      expect(fake.replace(/\d/g, '#')).toBe(unreadable.replace(/\d/g, '#'));
      expect(fakes.fake(unreadable)).toBe(fake);
    }
    expect(fakes.fake('n/a')).toBe('n/a');
    expect(fakes.fakeWritten('not given', null)).toBe('not given');
  });
});
