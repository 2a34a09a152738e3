import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { asciiDigits } from '../activities/clean/normalize-phone.ts';
import { readWrittenNumber } from '../activities/clean/read-written-number.ts';
import type { PersonalDataKind, PersonalTable } from '../privacy/personal-data.ts';
import { FakeNames } from './fake-name.ts';
import { FakePhoneNumbers } from './fake-phone-number.ts';
import { FakeTexts } from './fake-text.ts';
import { FakeViberUsers } from './fake-viber-user.ts';
import { PseudonymKey } from './pseudonym-key.ts';

const HEX = '0123456789abcdef';
// A number as people write it: digits (ASCII or Eastern Arabic) with spaces, dashes, dots or brackets between.
const NUMBER_LIKE = /[+(\d\u0660-\u0669\u06F0-\u06F9][\d\u0660-\u0669\u06F0-\u06F9 \u00A0().-]{5,}[\d\u0660-\u0669\u06F0-\u06F9]/g;
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g;
// Staged record keys (see viber/subscriber-mapping.ts and extract/csv-source-reader.ts): a Viber user's id, or a
// fingerprint of the row's values that anyone guessing the values could confirm.
const SUBSCRIBER_KEY = /^subscriber:(.+)@([^@]+)$/;
const FINGERPRINT_KEY = /^(?<kind>row|record):(?<digest>[0-9a-f]+)(?<occurrence>#\d+)$/;
const WAMID_PREFIX = 'wamid.';
// A vendor's hex id (a Plivo `message_uuid`, a Vonage `message-id`), letters and dashes as they come.
const HEX_ID = /^(?=.*[A-Fa-f])[0-9A-Fa-f-]+$/;
const JSON_KINDS: ReadonlySet<PersonalDataKind> = new Set(['record_json', 'cursor']);
/** What one row says of its person, original and fake: the forms its JSON may repeat them in. */
interface RowForms {
  /** Whole values, as the row's columns hold them. */
  exact: Map<string, string>;
  /** Names and Viber ids, which free text may hold among other words. Numbers are found by their digits instead. */
  words: Map<string, string>;
  /** The E.164 numbers the row is about. */
  numbers: string[];
}

const WORD_KINDS: ReadonlySet<PersonalDataKind> = new Set(['name', 'viber_user']);

/**
 * Every pseudonym of one anonymised copy, under one secret: phone numbers, Viber user ids, names and texts, each
 * the same for the same original in every table, and what each kind of personal column of the inventory
 * (privacy/personal-data.ts) becomes.
 */
export class Pseudonyms {
  readonly phones: FakePhoneNumbers;
  readonly viberUsers: FakeViberUsers;
  readonly names: FakeNames;
  readonly texts: FakeTexts;
  readonly #key: PseudonymKey;

  constructor(key: PseudonymKey = new PseudonymKey()) {
    this.#key = key;
    this.phones = new FakePhoneNumbers(key);
    this.viberUsers = new FakeViberUsers(key);
    this.names = new FakeNames(key);
    this.texts = new FakeTexts(key);
  }

  /**
   * Replaces, in place, every personal column of a row of `place`. `e164` is the number the row is about where
   * another table says it (a staged row's cleaned number, a carrier lookup's contact).
   */
  replace(place: PersonalTable, row: Record<string, unknown>, e164: string | null = null): void {
    const forms: RowForms = { exact: new Map(), words: new Map(), numbers: e164 ? [e164] : [] };
    for (const { column, kind } of place.personal) {
      const value = row[column];
      if (value === null || value === undefined || JSON_KINDS.has(kind)) continue;
      const fake = this.#column(kind, value, row, e164, forms);
      row[column] = fake;
      if (typeof value === 'string' && typeof fake === 'string') {
        forms.exact.set(value, fake);
        forms.exact.set(value.trim(), fake.trim());
        if (WORD_KINDS.has(kind) && value.trim().length >= 3) forms.words.set(value.trim(), fake.trim());
      }
    }
    for (const { column, kind } of place.personal) {
      if (JSON_KINDS.has(kind) && row[column] !== null && row[column] !== undefined) row[column] = this.#json(row[column], forms);
    }
  }

  #column(kind: PersonalDataKind, value: unknown, row: Record<string, unknown>, e164: string | null, forms: RowForms): unknown {
    if (kind === 'address_list') return Array.isArray(value) ? value.map((address) => this.#address(String(address))) : value;
    if (typeof value !== 'string') throw new Error(`a ${kind} column holds ${typeof value}, not text`);
    switch (kind) {
      case 'phone':
        forms.numbers.push(value);
        return this.phones.fake(value);
      case 'phone_raw': {
        // Cleaning's reading where there is one; otherwise the row's own country's (a subscriber's shared phone).
        const number = e164 || readWrittenNumber(value, typeof row.country === 'string' ? row.country : null);
        if (number) forms.numbers.push(number);
        return this.phones.fakeWritten(value, number);
      }
      case 'wa_id':
        forms.numbers.push(`+${value}`);
        return this.phones.fakeDigits(value);
      case 'address':
        return this.#address(value);
      case 'viber_user':
        return this.viberUsers.fake(value);
      case 'name':
        return this.names.fake(value);
      case 'text':
        return this.texts.fake(value);
      case 'crm_record':
        return this.#key.sameShape('crm-record', value);
      case 'record_key':
        return this.#recordKey(value, forms);
      case 'message_id':
        return this.#messageId(value);
      case 'record_json':
      case 'cursor':
        return value;
    }
  }

  /** What a vendor knows a customer by: a Viber user id, an E.164 number, or its digits (an MSISDN, a `wa_id`). */
  #address(value: string): string {
    if (this.viberUsers.has(value)) return this.viberUsers.fake(value);
    if (value.startsWith('+')) return this.phones.fake(value);
    if (/^\d{7,15}$/.test(value) && (this.phones.has(`+${value}`) || parsePhoneNumberFromString(`+${value}`)?.isValid())) return this.phones.fakeDigits(value);
    return this.viberUsers.fake(value);
  }

  /**
   * A vendor's message id, the same fake in every table so a status still finds its send: a `wamid.` keeps its
   * prefix and base64 shape (its payload holds the number), a hex id stays hex, digits stay digits.
   */
  #messageId(value: string): string {
    if (value.startsWith(WAMID_PREFIX)) return WAMID_PREFIX + this.#key.sameShape('message-id', value.slice(WAMID_PREFIX.length));
    if (!HEX_ID.test(value)) return this.#key.sameShape('message-id', value);
    const drawn = this.#key.characters('message-id', value, value.length, HEX);
    const hex = [...value].map((character, at) => (character === '-' ? character : drawn[at]!)).join('');
    return value === value.toUpperCase() ? hex.toUpperCase() : hex;
  }

  #recordKey(value: string, forms: RowForms): string {
    const subscriber = SUBSCRIBER_KEY.exec(value);
    if (subscriber) return `subscriber:${this.viberUsers.fake(subscriber[1]!)}@${subscriber[2]}`;
    const fingerprint = FINGERPRINT_KEY.exec(value)?.groups;
    if (fingerprint) {
      const { kind, digest, occurrence } = fingerprint as { kind: string; digest: string; occurrence: string };
      return `${kind}:${this.#key.characters('fingerprint', digest, digest.length, HEX)}${occurrence}`;
    }
    // A vendor's own record id: kept, unless a number is written in it.
    return this.#text(value, forms);
  }

  /** A record or callback as received: every string in it, with what the row and the copy know replaced. */
  #json(value: unknown, forms: RowForms, key?: string): unknown {
    if (typeof value === 'string') return this.#jsonString(value, forms, key);
    if (Array.isArray(value)) return value.map((item) => this.#json(item, forms));
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([field, item]) => [field, this.#json(item, forms, field)]));
    }
    return value;
  }

  #jsonString(value: string, forms: RowForms, key: string | undefined): string {
    const exact = forms.exact.get(value) ?? forms.exact.get(value.trim());
    if (exact !== undefined) return exact;
    if (this.viberUsers.has(value)) return this.viberUsers.fake(value);
    if (this.phones.has(value)) return this.phones.fake(value);
    // Fields of Viber callbacks no column repeats: the user's name and avatar, a message's text, a shared contact.
    switch (key) {
      case 'name':
        return this.names.fake(value);
      case 'text':
        return this.texts.fake(value);
      case 'avatar':
        return `https://avatars.example.invalid/${this.#key.characters('avatar', value, 16, HEX)}.jpg`;
      case 'phone_number':
        return this.phones.fakeWritten(value, readWrittenNumber(value, null));
    }
    return this.#text(value, forms);
  }

  /** Free text: the numbers, names, Viber ids and email addresses in it replaced, the rest kept. */
  #text(value: string, forms: RowForms): string {
    let text = value.replace(NUMBER_LIKE, (written) => this.#writtenNumber(written, forms));
    for (const [original, fake] of forms.words) if (text.includes(original)) text = text.replaceAll(original, fake);
    return text.replace(EMAIL, (address) => `person-${this.#key.characters('email', address, 8, HEX)}@example.invalid`);
  }

  /** A number in free text: one of the data's numbers in international form, or the row's own in any form. */
  #writtenNumber(written: string, forms: RowForms): string {
    const digits = asciiDigits(written).replace(/\D/g, '');
    const international = digits.startsWith('00') && !written.trimStart().startsWith('+') ? `+${digits.slice(2)}` : `+${digits}`;
    if (this.phones.has(international)) return this.phones.fakeWritten(written, international);
    for (const e164 of forms.numbers) {
      const national = parsePhoneNumberFromString(e164)?.nationalNumber;
      if (national && digits.includes(national)) return this.phones.fakeWritten(written, e164);
    }
    return written;
  }
}
