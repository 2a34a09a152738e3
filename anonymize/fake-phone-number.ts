import { getExampleNumber, parsePhoneNumberFromString, type CountryCode, type PhoneNumber } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/mobile/examples';
import type { PseudonymKey } from './pseudonym-key.ts';

/** Tries with the same number of leading digits kept before one more is kept: a rare region or type needs its prefix. */
const TRIES_PER_PREFIX = 24;
/** Tries for a free same-shaped string; past them a short junk value ("12") may share its fake with another. */
const SAME_SHAPE_TRIES = 50;
const EASTERN_ZERO = [0x0660, 0x06f0];

/**
 * Fake phone numbers for one anonymised copy. An E.164 number becomes a valid number of the same region and line
 * type with the same length, chosen by the copy's keyed hash; never the original, never another real number of the
 * data (`avoid`), never the fake of another number: two people never become one. A string libphonenumber cannot
 * read becomes one of the same shape with other digits.
 */
export class FakePhoneNumbers {
  readonly #key: PseudonymKey;
  /** Every original met, with its fake once drawn: an avoided number waits here without one. */
  readonly #fakes = new Map<string, string | null>();
  readonly #given = new Set<string>();
  #drawn = 0;

  constructor(key: PseudonymKey) {
    this.#key = key;
  }

  /** A real number of the data, before any fake is drawn: no fake will be it. */
  avoid(e164: string): void {
    if (!this.#fakes.has(e164)) this.#fakes.set(e164, null);
  }

  /** How many numbers have a fake so far. */
  get size(): number {
    return this.#drawn;
  }

  /** Whether `e164` already has its fake: a number of the data. */
  has(e164: string): boolean {
    return (this.#fakes.get(e164) ?? null) !== null;
  }

  /** The fake of an E.164 number, the same every time within the copy. */
  fake(e164: string): string {
    const known = this.#fakes.get(e164);
    if (known) return known;
    // Met before drawing, so the draw cannot give the number itself.
    this.avoid(e164);
    const phone = parsePhoneNumberFromString(e164);
    const fake = phone?.isValid() && phone.number === e164 ? this.#validFake(e164, phone) : this.#unreadableFake(e164);
    this.#fakes.set(e164, fake);
    this.#given.add(fake);
    this.#drawn++;
    return fake;
  }

  /** An MSISDN or WhatsApp `wa_id`: the number's digits without `+`. */
  fakeDigits(digits: string): string {
    return this.fake(`+${digits}`).slice(1);
  }

  /**
   * A number as a source wrote it ("+44 (0)7400 123456", "٠٥٠١٢٣٤٥٦٧", "00971..."), with the digits of its national
   * number changed to the fake's and everything else (prefixes, spacing, the digits' script) as written, so it reads
   * as the fake where it read as `e164`. Without `e164`, or where its digits are not there, the same shape with
   * other digits.
   */
  fakeWritten(written: string, e164: string | null): string {
    if (e164 === null) return this.#sameShape(written, 'written');
    const fake = this.fake(e164);
    const national = nationalNumberOf(e164);
    if (national === null || fake.length !== e164.length) return this.#sameShape(written, 'written');
    const fakeNational = fake.slice(fake.length - national.length);
    const positions: number[] = [];
    let digits = '';
    for (let at = 0; at < written.length; at++) {
      const digit = digitValue(written.charCodeAt(at));
      if (digit === null) continue;
      positions.push(at);
      digits += digit;
    }
    const start = digits.lastIndexOf(national);
    if (start < 0) return this.#sameShape(written, 'written');
    const chars = written.split('');
    for (let i = 0; i < national.length; i++) {
      const at = positions[start + i]!;
      chars[at] = inScriptOf(written.charCodeAt(at), Number(fakeNational[i]));
    }
    return chars.join('');
  }

  /** A real number of the data, or another's fake. */
  #taken(candidate: string): boolean {
    return this.#fakes.has(candidate) || this.#given.has(candidate);
  }

  #validFake(e164: string, phone: PhoneNumber): string {
    const national = phone.nationalNumber;
    const type = phone.getType();
    const country = phone.country;
    // A mobile example of the region is a starting pattern that owes nothing to the original. Where it cannot give
    // the region (the Isle of Man's few ranges inside +44 7), or for other types, the original is the pattern:
    // as few of its leading digits are kept as the region and type allow.
    const example = type === 'MOBILE' && country ? getExampleNumber(country as CountryCode, examples)?.nationalNumber : undefined;
    const templates = example?.length === national.length ? [example, national] : [national];
    const prefix = `+${phone.countryCallingCode}`;
    let attempt = 0;
    for (const template of templates) {
      for (let keep = 1; keep < national.length; keep++) {
        for (let tries = 0; tries < TRIES_PER_PREFIX; tries++, attempt++) {
          const candidate = `${prefix}${template.slice(0, keep)}${this.#key.characters('phone', e164, national.length - keep, undefined, attempt)}`;
          if (this.#taken(candidate)) continue;
          const parsed = parsePhoneNumberFromString(candidate);
          if (parsed?.isValid() && parsed.number === candidate && parsed.country === country && parsed.getType() === type) return candidate;
        }
      }
    }
    throw new Error(`no free fake number for a ${country ?? prefix} ${type ?? 'unknown'} number after ${attempt} tries`);
  }

  #unreadableFake(original: string): string {
    let fake = original;
    for (let attempt = 0; attempt < SAME_SHAPE_TRIES; attempt++) {
      fake = this.#sameShape(original, 'unreadable', attempt);
      if (!this.#taken(fake)) return fake;
    }
    return fake;
  }

  /** Every digit (ASCII or Eastern Arabic) replaced by a keyed one in the same script; never the original when it has digits. */
  #sameShape(text: string, purpose: string, attempt = 0): string {
    let digitCount = 0;
    for (let at = 0; at < text.length; at++) if (digitValue(text.charCodeAt(at)) !== null) digitCount++;
    if (digitCount === 0) return text;
    for (let tries = 0; ; tries++) {
      const drawn = this.#key.characters(purpose, text, digitCount, undefined, attempt * 64 + tries);
      let next = 0;
      let shaped = '';
      for (let at = 0; at < text.length; at++) {
        const code = text.charCodeAt(at);
        shaped += digitValue(code) === null ? text[at] : inScriptOf(code, Number(drawn[next++]));
      }
      if (shaped !== text) return shaped;
    }
  }
}

/** The national significant number of an E.164 number, or null when libphonenumber cannot read it. */
function nationalNumberOf(e164: string): string | null {
  const phone = parsePhoneNumberFromString(e164);
  return phone && phone.number === e164 ? phone.nationalNumber : null;
}

function digitValue(code: number): number | null {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  for (const zero of EASTERN_ZERO) if (code >= zero && code <= zero + 9) return code - zero;
  return null;
}

/** `digit` written in the script of the digit `code`. */
function inScriptOf(code: number, digit: number): string {
  const zero = EASTERN_ZERO.find((z) => code >= z && code <= z + 9) ?? 0x30;
  return String.fromCharCode(zero + digit);
}
