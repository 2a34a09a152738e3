import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { emulatedCustomers, type EmulatedCustomers } from '../connectors/emulated-customers.ts';
import { seededRandom } from '../connectors/seeded-random.ts';
import type { ViberUser } from '../connectors/viber/emulator.ts';
import { contactLanguage } from '../activities/opt-in/contact-language.ts';
import type { Source } from '../workflows/migration-input.ts';
import { ARABIC_MARKETS, ARABIC_NAMES, LATIN_NAMES, OTHER_MARKETS } from './customer-base.ts';
import { scriptCustomers, type CustomerReplies, type CustomerRepliesOptions } from './customer-replies.ts';
import { randomMobile } from './random-mobile.ts';

/** The languages the emulated customers write in (the notice itself goes in English or Arabic). */
const REPLY_LANGUAGES = ['ar', 'ru', 'uk', 'es', 'fr', 'de', 'tr', 'pt', 'pl', 'hi', 'en'];

export interface OptInAudience {
  /** A CSV of SMS customers and one of Viber subscribers (with the numbers they shared), as migration sources. */
  sources: Source[];
  /** The Viber subscribers, for the Viber emulator. */
  viberUsers: ViberUser[];
  customers: EmulatedCustomers;
  truth: CustomerReplies['truth'];
  /** Every customer's number, and the ones whose numbers have WhatsApp. */
  numbers: string[];
  onWhatsApp: Set<string>;
}

/**
 * A business's audience for an opt-in campaign: `sms` customers reached by SMS and `viber` Viber subscribers, in
 * Arab and other markets, each with a script of how they answer (yes in their language, STOP, noise, silence).
 */
export async function generateOptInAudience(
  dir: string,
  counts: { sms: number; viber: number },
  options: CustomerRepliesOptions & { markets?: readonly CountryCode[] },
): Promise<OptInAudience> {
  const random = seededRandom(options.seed);
  // Consent belongs to a number, across campaigns: audiences that must not share a customer are drawn from different markets.
  const markets = options.markets ?? [...ARABIC_MARKETS, ...ARABIC_MARKETS, ...OTHER_MARKETS];
  const seen = new Set<string>();
  const person = () => {
    const country = markets[Math.floor(random() * markets.length)]! as CountryCode;
    let e164: string;
    do e164 = randomMobile(country, random);
    while (seen.has(e164));
    seen.add(e164);
    const names = ARABIC_MARKETS.includes(country) ? ARABIC_NAMES : LATIN_NAMES;
    return { e164, country, name: names[Math.floor(random() * names.length)]!, language: contactLanguage(country, null, REPLY_LANGUAGES, 'en') };
  };
  const smsPeople = Array.from({ length: counts.sms }, person);
  const viberPeople = Array.from({ length: counts.viber }, (_, i) => ({ ...person(), viberId: `vb${options.seed}x${i.toString(36)}==` }));

  const smsPath = join(dir, 'sms-customers.csv');
  const viberPath = join(dir, 'viber-subscribers.csv');
  await writeFile(smsPath, ['phone,name,country', ...smsPeople.map((p) => `${p.e164},${p.name},${p.country}`)].join('\n') + '\n');
  await writeFile(viberPath, ['phone,name,country,viber_id', ...viberPeople.map((p) => `${p.e164},${p.name},${p.country},${p.viberId}`)].join('\n') + '\n');

  const replies = scriptCustomers(
    [...smsPeople.map((p) => ({ address: p.e164, e164: p.e164, language: p.language })), ...viberPeople.map((p) => ({ address: p.viberId, e164: p.e164, language: p.language }))],
    options,
  );
  const numbers = [...smsPeople, ...viberPeople].map((p) => p.e164);
  return {
    sources: [
      { kind: 'csv', name: 'sms-customers', path: smsPath, columns: { phone: 'phone', name: 'name', country: 'country' } },
      { kind: 'csv', name: 'viber-subscribers', path: viberPath, channel: 'viber', columns: { phone: 'phone', name: 'name', country: 'country', viberUserId: 'viber_id' } },
    ],
    viberUsers: viberPeople.map((p) => ({ id: p.viberId, name: p.name, country: p.country, language: p.language, phone: p.e164 })),
    customers: emulatedCustomers(replies.scripts),
    truth: replies.truth,
    numbers,
    onWhatsApp: new Set(numbers.filter((n) => replies.scripts.get(n)?.onWhatsApp)),
  };
}

/**
 * Scripts for customers already generated elsewhere (the demo's CRM export and vendor histories): each number answers
 * in its country's language; a Viber subscriber who shared their number plays that number's script.
 */
export function scriptKnownCustomers(numbers: Iterable<string>, viberUsers: readonly ViberUser[], options: CustomerRepliesOptions): CustomerReplies {
  const languageOf = (e164: string) => contactLanguage(parsePhoneNumberFromString(e164)?.country ?? null, null, REPLY_LANGUAGES, 'en');
  return scriptCustomers(
    [
      ...[...numbers].map((e164) => ({ address: e164, e164, language: languageOf(e164) })),
      ...viberUsers.flatMap((user) => (user.phone ? [{ address: user.id, e164: user.phone, language: languageOf(user.phone) }] : [])),
    ],
    options,
  );
}
