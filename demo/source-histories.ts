import type { CountryCode } from 'libphonenumber-js/max';
import type { VonageRecord } from '../connectors/vonage/reports-client.ts';
import type { PlivoMessage } from '../connectors/plivo/messages-client.ts';
import type { ViberUser } from '../connectors/viber/emulator.ts';
import { ARABIC_MARKETS, ARABIC_NAMES, LATIN_NAMES, OTHER_MARKETS } from './customer-base.ts';
import { randomMobile } from './random-mobile.ts';
import { seededRandom } from '../connectors/seeded-random.ts';

export interface SourceHistoriesOptions {
  vonageRecords: number;
  plivoMessages: number;
  viberSubscribers: number;
  /** The history spans `days` days from `from`. */
  from: Date;
  days: number;
  seed?: number;
}

/** A business's customers as three vendors hold them, with what a migration must find in them. */
export interface SourceHistories {
  vonage: VonageRecord[];
  plivo: PlivoMessage[];
  viber: ViberUser[];
  truth: {
    /** Every customer number across the sources, in E.164: the contacts a migration must end with. */
    numbers: ReadonlySet<string>;
    /** Numbers found in more than one source. */
    overlapping: number;
    viberWithoutPhone: number;
  };
}

interface Customer {
  e164: string;
  country: CountryCode;
  name: string;
}

export const VONAGE_ACCOUNT = 'abcd1234';
const BUSINESS_NUMBER = '447700900123';
const DELIVERY_STATUSES = ['delivered', 'delivered', 'delivered', 'delivered', 'failed', 'expired'];

/**
 * Deterministic SMS and Viber histories for one business: Vonage messages in both directions, Plivo messages,
 * and Viber subscribers, most of whom shared their phone. The sources share customers, as real ones do.
 */
export function generateSourceHistories(options: SourceHistoriesOptions): SourceHistories {
  const random = seededRandom(options.seed ?? 20261123);
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const span = options.days * 86_400_000;
  const at = () => new Date(options.from.getTime() + Math.floor(random() * span / 1000) * 1000);

  // About three messages per Vonage customer; Plivo's customers are half Vonage's, Viber's a third of each.
  const pool: Customer[] = [];
  const taken = new Set<string>();
  const customer = (): Customer => {
    const country = random() < 0.5 ? pick(ARABIC_MARKETS) : pick(OTHER_MARKETS);
    for (;;) {
      const e164 = randomMobile(country, random);
      if (taken.has(e164)) continue;
      taken.add(e164);
      const c = { e164, country, name: ARABIC_MARKETS.includes(country) ? pick(ARABIC_NAMES) : pick(LATIN_NAMES) };
      pool.push(c);
      return c;
    }
  };
  const vonageCustomers = Array.from({ length: Math.max(1, Math.ceil(options.vonageRecords / 3)) }, customer);
  const plivoCustomers = Array.from({ length: Math.max(1, Math.ceil(options.plivoMessages / 2)) }, () => (random() < 0.5 ? pick(vonageCustomers) : customer()));
  const seenIn = new Map<string, Set<string>>();
  const note = (e164: string, source: string) => seenIn.set(e164, (seenIn.get(e164) ?? new Set()).add(source));

  const vonage = Array.from({ length: options.vonageRecords }, (_, i): VonageRecord => {
    const c = pick(vonageCustomers);
    note(c.e164, 'vonage');
    const inbound = random() < 0.4;
    const msisdn = c.e164.slice(1);
    return {
      account_id: VONAGE_ACCOUNT,
      message_id: `vonage-${String(i).padStart(8, '0')}-${Math.floor(random() * 1e9).toString(36)}`,
      direction: inbound ? 'inbound' : 'outbound',
      from: inbound ? msisdn : BUSINESS_NUMBER,
      to: inbound ? BUSINESS_NUMBER : msisdn,
      network: '42402',
      network_name: 'Emulated Mobile',
      country: c.country,
      country_name: c.country,
      date_received: vonageTime(at()),
      currency: 'EUR',
      total_price: '0.0333',
      ...(inbound ? {} : { client_ref: '', status: pick(DELIVERY_STATUSES), error_code: '0', error_code_description: 'Delivered', latency: '2', date_finalized: '' }),
    };
  });

  const plivo = Array.from({ length: options.plivoMessages }, (_, i): PlivoMessage => {
    const c = pick(plivoCustomers);
    note(c.e164, 'plivo');
    const inbound = random() < 0.4;
    const msisdn = c.e164.slice(1);
    return {
      message_uuid: `${hex(random, 8)}-${hex(random, 4)}-4${hex(random, 3)}-a${hex(random, 3)}-${String(i).padStart(12, '0')}`,
      message_time: plivoTime(at()),
      message_direction: inbound ? 'inbound' : 'outbound',
      message_state: inbound ? 'received' : pick(DELIVERY_STATUSES),
      message_type: 'sms',
      from_number: inbound ? msisdn : BUSINESS_NUMBER,
      to_number: inbound ? BUSINESS_NUMBER : msisdn,
      units: 1,
      total_rate: '0.00500',
      total_amount: '0.00500',
      error_code: null,
    };
  });

  let viberWithoutPhone = 0;
  const viber = Array.from({ length: options.viberSubscribers }, (_, i): ViberUser => {
    const roll = random();
    const c = roll < 0.3 ? pick(vonageCustomers) : roll < 0.4 ? pick(plivoCustomers) : customer();
    const shared = random() < 0.85;
    if (shared) note(c.e164, 'viber');
    else viberWithoutPhone++;
    return {
      id: `${Buffer.from(`viber-user-${i}-${c.e164.length}`).toString('base64url')}==`,
      name: c.name,
      country: c.country,
      language: ARABIC_MARKETS.includes(c.country) ? 'ar' : 'en',
      phone: shared ? c.e164 : null,
    };
  });

  return {
    vonage,
    plivo,
    viber,
    truth: {
      numbers: new Set(seenIn.keys()),
      overlapping: [...seenIn.values()].filter((sources) => sources.size > 1).length,
      viberWithoutPhone,
    },
  };
}

/** Vonage writes report times as `2017-12-01T00:00:00+0000`. */
function vonageTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}+0000`;
}

/** Plivo writes message times with microseconds and the account's offset: `2017-05-22 21:36:14.000000+00:00`. */
function plivoTime(date: Date): string {
  return `${date.toISOString().slice(0, 10)} ${date.toISOString().slice(11, 19)}.000000+00:00`;
}

function hex(random: () => number, length: number): string {
  return Array.from({ length }, () => Math.floor(random() * 16).toString(16)).join('');
}
