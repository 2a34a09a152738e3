import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fetch from 'node-fetch';
import { CRM_ALLOWANCE_SPENT } from '../crm-contact.ts';
import type { CrmClient, CrmContact } from '../crm-contact.ts';
import { createHubSpotClient, HUBSPOT_BATCH_LIMIT } from './client.ts';
import type { HubSpotClientOptions } from './client.ts';
import { CONTACT_PROPERTIES, UNIQUE_ID_PROPERTY } from './contact-mapping.ts';
import { startHubSpotEmulator } from './emulator.ts';
import type { HubSpotEmulator, HubSpotEmulatorOptions } from './emulator.ts';
import { applicationFailureOf } from '../../test/support/rejections.ts';

const GENEROUS = { requests: 190, intervalMs: 10_000 };
const MINUTE_MS = 60_000;

function contact(e164: string, overrides: Partial<CrmContact> = {}): CrmContact {
  return {
    contactId: `contact-${e164.slice(1)}`,
    e164,
    name: 'Amira Al Mansouri',
    country: 'AE',
    whatsAppStatus: 'on_whatsapp',
    waId: e164.slice(1),
    consent: 'unknown',
    consentAt: null,
    sourceChannels: ['sms'],
    ...overrides,
  };
}

type ClientExtras = Partial<Omit<HubSpotClientOptions, 'baseUrl' | 'auth'>>;

function privateAppClient(emulator: HubSpotEmulator, extras: ClientExtras = {}): CrmClient {
  return createHubSpotClient({ baseUrl: emulator.url, auth: { kind: 'private-app', token: emulator.token }, burstLimit: GENEROUS, ...extras });
}

function oauthClient(emulator: HubSpotEmulator, extras: ClientExtras = {}): CrmClient {
  return createHubSpotClient({ baseUrl: emulator.url, auth: { kind: 'oauth', ...emulator.oauthClient }, burstLimit: GENEROUS, ...extras });
}

/** An emulator with the contact properties in place, and a private app client for it. */
async function hubspotWithProperties(options: HubSpotEmulatorOptions = {}) {
  const emulator = await startHubSpotEmulator(options);
  const client = privateAppClient(emulator, { burstLimit: options.burstLimit ?? GENEROUS });
  await client.prepare();
  return { emulator, client };
}

/** Every contact, as a user reads them: the list API, page by page. */
async function listedContacts(emulator: HubSpotEmulator, properties: readonly string[], pageSize = 100) {
  const contacts: { id: string; properties: Record<string, string | null> }[] = [];
  let after: string | undefined;
  do {
    const query = new URLSearchParams({ limit: String(pageSize), properties: properties.join(','), ...(after === undefined ? {} : { after }) });
    const response = await fetch(`${emulator.url}/crm/v3/objects/contacts?${query}`, { headers: { authorization: `Bearer ${emulator.token}` } });
    expect(response.status).toBe(200);
    const page = (await response.json()) as { results: typeof contacts; paging?: { next: { after: string } } };
    contacts.push(...page.results);
    after = page.paging?.next.after;
  } while (after !== undefined);
  return contacts;
}

/** A clock a test moves by hand, so token ages do not depend on how busy the machine is. */
function manualClock(start = Date.parse('2025-03-10T08:00:00Z')) {
  let time = start;
  return { now: () => time, advance: (ms: number) => void (time += ms) };
}

describe('HubSpot contact properties', () => {
  let emulator: HubSpotEmulator;
  beforeAll(async () => {
    emulator = await startHubSpotEmulator();
  });
  afterAll(() => emulator.close());

  it('creates the properties once, even when two workers prepare at the same time', async () => {
    await Promise.all([privateAppClient(emulator).prepare(), privateAppClient(emulator).prepare()]);
    const before = emulator.requestCount();
    await privateAppClient(emulator).prepare();

    expect(emulator.requestCount() - before).toBe(CONTACT_PROPERTIES.length); // one look per property, nothing created
    const definition = async (name: string) =>
      (await fetch(`${emulator.url}/crm/v3/properties/contacts/${name}`, { headers: { authorization: `Bearer ${emulator.token}` } })).json();
    expect(await definition(UNIQUE_ID_PROPERTY)).toMatchObject({ hasUniqueValue: true });
    expect(await definition('whatsapp_consent_date')).toMatchObject({ type: 'datetime', fieldType: 'date' });
    expect(await definition('source_channels')).toMatchObject({ type: 'enumeration', fieldType: 'checkbox' });
  });
});

describe('HubSpot contact upsert', () => {
  let emulator: HubSpotEmulator;
  let client: CrmClient;
  beforeAll(async () => {
    ({ emulator, client } = await hubspotWithProperties());
  });
  afterAll(() => emulator.close());

  it('creates a contact, then updates the same record instead of duplicating it', async () => {
    const first = await client.upsert([contact('+971501110001', { whatsAppStatus: 'unknown', waId: null })]);
    const second = await client.upsert([contact('+971501110001')]);

    expect(first).toEqual({ written: [{ contactId: 'contact-971501110001', recordId: expect.any(String), created: true }], failed: [], retryLater: [] });
    expect(second.written).toEqual([{ contactId: 'contact-971501110001', recordId: first.written[0]!.recordId, created: false }]);
    const stored = emulator.records().filter((r) => r.properties[UNIQUE_ID_PROPERTY] === '+971501110001');
    expect(stored).toHaveLength(1);
    expect(stored[0]!.properties).toMatchObject({
      phone: '+971501110001',
      firstname: 'Amira',
      lastname: 'Al Mansouri',
      country: 'AE',
      whatsapp_status: 'on_whatsapp',
      whatsapp_id: '971501110001',
    });
    expect(emulator.writesPerRecord().get(stored[0]!.id)).toBe(2);
  });

  it('writes consent, its date and the source channels, and leaves them be when a later write does not know them', async () => {
    const names = [UNIQUE_ID_PROPERTY, 'whatsapp_consent', 'whatsapp_consent_date', 'source_channels', 'firstname', 'country'];
    const granted = contact('+971501110010', { consent: 'granted', consentAt: '2025-03-10T09:15:00+04:00', sourceChannels: ['sms', 'viber'] });
    await client.upsert([granted]);
    await client.upsert([{ ...granted, name: null, country: null, consentAt: null, sourceChannels: [] }]);

    const listed = (await listedContacts(emulator, names)).filter((c) => c.properties[UNIQUE_ID_PROPERTY] === '+971501110010');
    expect(listed).toHaveLength(1);
    expect(listed[0]!.properties).toMatchObject({
      whatsapp_consent: 'granted',
      whatsapp_consent_date: '2025-03-10T05:15:00.000Z',
      source_channels: 'sms;viber',
      firstname: 'Amira',
      country: 'AE',
    });
  });

  it('reports a partial failure with HubSpot reason, and writes the others', async () => {
    emulator.setRejectInput((properties) => (properties.lastname === 'Refused' ? 'lastname is on the blocklist' : undefined));
    try {
      const outcome = await client.upsert([
        contact('+971501110002'),
        contact('+971501110003', { name: 'Omar Refused' }),
        contact('+971501110004'),
      ]);

      expect(outcome.written.map((w) => w.contactId)).toEqual(['contact-971501110002', 'contact-971501110004']);
      expect(outcome.failed).toEqual([{ contactId: 'contact-971501110003', reason: 'lastname is on the blocklist' }]);
      expect(outcome.retryLater).toEqual([]);
      expect(emulator.records().some((r) => r.properties[UNIQUE_ID_PROPERTY] === '+971501110003')).toBe(false);
    } finally {
      emulator.setRejectInput(undefined);
    }
  });

  it('refuses a batch that repeats a number or a contact id, or is too large, before sending it', async () => {
    const before = emulator.requestCount();
    const sameNumber = [contact('+971501110006', { contactId: 'a' }), contact('+971501110006', { contactId: 'b' })];
    const sameId = [contact('+971501110007', { contactId: 'c' }), contact('+971501110008', { contactId: 'c' })];
    const tooMany = Array.from({ length: HUBSPOT_BATCH_LIMIT + 1 }, (_, i) => contact(`+9715022${String(i).padStart(5, '0')}`));

    const failures = [await applicationFailureOf(client.upsert(sameNumber)), await applicationFailureOf(client.upsert(sameId))];
    failures.push(await applicationFailureOf(client.upsert(tooMany)));

    expect(failures.map((f) => f.nonRetryable)).toEqual([true, true, true]);
    expect(failures[0]!.message).toMatch(/a and b share one number/);
    expect(failures[1]!.message).toMatch(/c appears twice/);
    expect(failures[2]!.message).toContain(String(HUBSPOT_BATCH_LIMIT));
    expect(emulator.requestCount()).toBe(before);
  });

  it('fails for good when the private app token is wrong', async () => {
    const intruder = createHubSpotClient({ baseUrl: emulator.url, auth: { kind: 'private-app', token: 'revoked' }, burstLimit: GENEROUS });
    const failure = await applicationFailureOf(intruder.upsert([contact('+971501110009')]));

    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('INVALID_AUTHENTICATION');
  });
});

describe('HubSpot emulator strictness', () => {
  it('refuses an upsert before the properties exist, for good', async () => {
    const emulator = await startHubSpotEmulator();
    try {
      const failure = await applicationFailureOf(privateAppClient(emulator).upsert([contact('+971501110011')]));

      expect(failure.nonRetryable).toBe(true);
      expect(failure.message).toContain(UNIQUE_ID_PROPERTY);
    } finally {
      await emulator.close();
    }
  });

  it('refuses a datetime or a checkbox value HubSpot would refuse, row by row', async () => {
    const { emulator } = await hubspotWithProperties();
    try {
      const input = (id: string, properties: Record<string, string>) => ({ id, idProperty: UNIQUE_ID_PROPERTY, properties, objectWriteTraceId: id });
      const response = await fetch(`${emulator.url}/crm/v3/objects/contacts/batch/upsert`, {
        method: 'POST',
        headers: { authorization: `Bearer ${emulator.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          inputs: [
            input('+971501110012', { whatsapp_consent_date: 'yesterday' }),
            input('+971501110013', { source_channels: 'sms;fax' }),
            input('+971501110014', { whatsapp_consent_date: '2025-03-10', source_channels: 'viber;sms' }),
          ],
        }),
      });
      const answer = (await response.json()) as { results: { objectWriteTraceId: string }[]; errors: { message: string }[] };

      expect(response.status).toBe(207);
      expect(answer.results.map((r) => r.objectWriteTraceId)).toEqual(['+971501110014']);
      expect(answer.errors.map((e) => e.message)).toEqual([expect.stringContaining('not a valid datetime'), expect.stringContaining('"fax"')]);
    } finally {
      await emulator.close();
    }
  });

  it('lists every contact once across pages', async () => {
    const { emulator, client } = await hubspotWithProperties();
    try {
      await client.upsert(Array.from({ length: 5 }, (_, i) => contact(`+97150444000${i}`)));

      const listed = await listedContacts(emulator, [UNIQUE_ID_PROPERTY], 2);
      expect(listed.map((c) => c.properties[UNIQUE_ID_PROPERTY]).sort()).toEqual(Array.from({ length: 5 }, (_, i) => `+97150444000${i}`));
    } finally {
      await emulator.close();
    }
  });
});

describe('HubSpot OAuth', () => {
  it('answers an expired access token with 401 EXPIRED_AUTHENTICATION', async () => {
    const clock = manualClock();
    const emulator = await startHubSpotEmulator({ now: clock.now });
    try {
      const { clientId, clientSecret, refreshToken } = emulator.oauthClient;
      const tokenResponse = await fetch(`${emulator.url}/oauth/v1/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', client_id: clientId, client_secret: clientSecret, refresh_token: refreshToken }).toString(),
      });
      const { access_token, expires_in } = (await tokenResponse.json()) as { access_token: string; expires_in: number };
      clock.advance(expires_in * 1000 + 3 * MINUTE_MS);
      const response = await fetch(`${emulator.url}/crm/v3/properties/contacts/phone`, { headers: { authorization: `Bearer ${access_token}` } });

      expect(expires_in).toBe(1800);
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ category: 'EXPIRED_AUTHENTICATION', message: expect.stringContaining('expired 3 minute(s) ago') });
    } finally {
      await emulator.close();
    }
  });

  it('refreshes a short-lived token before it expires, so HubSpot never refuses one', async () => {
    const clock = manualClock();
    const emulator = await startHubSpotEmulator({ accessTokenLifetimeMs: 10 * MINUTE_MS, now: clock.now });
    try {
      const client = oauthClient(emulator, { now: clock.now });
      await client.prepare();
      clock.advance(6 * MINUTE_MS); // 4 minutes left on the first token
      const first = await client.upsert([contact('+971505550001')]);
      clock.advance(2 * MINUTE_MS); // the second token is young
      const second = await client.upsert([contact('+971505550002')]);

      expect([first.written.length, second.written.length]).toEqual([1, 1]);
      expect(emulator.tokenRequests()).toBe(2);
      expect(emulator.unauthorizedCount()).toBe(0);
    } finally {
      await emulator.close();
    }
  });

  it('shares one token request among concurrent calls', async () => {
    const { emulator } = await hubspotWithProperties();
    try {
      const client = oauthClient(emulator);
      const outcomes = await Promise.all(Array.from({ length: 5 }, (_, i) => client.upsert([contact(`+97150666000${i}`)])));

      expect(outcomes.every((o) => o.written.length === 1)).toBe(true);
      expect(emulator.tokenRequests()).toBe(1);
    } finally {
      await emulator.close();
    }
  });

  it('keeps the new refresh token when HubSpot hands one out', async () => {
    const clock = manualClock();
    const emulator = await startHubSpotEmulator({ rotateRefreshTokens: true, now: clock.now });
    try {
      const client = oauthClient(emulator, { now: clock.now });
      await client.prepare();
      clock.advance(29 * MINUTE_MS);
      const outcome = await client.upsert([contact('+971505550003')]);

      expect(outcome.written).toHaveLength(1);
      expect(emulator.tokenRequests()).toBe(2);
    } finally {
      await emulator.close();
    }
  });

  it('drops a token HubSpot refuses anyway and fails retryably; the retry gets a new token', async () => {
    const hubspotClock = manualClock();
    const emulator = await startHubSpotEmulator({ now: hubspotClock.now });
    try {
      // Our clock stands still while HubSpot's moves on, as after a suspended machine.
      const client = oauthClient(emulator, { now: manualClock().now });
      await client.prepare();
      hubspotClock.advance(31 * MINUTE_MS);
      const failure = await applicationFailureOf(client.upsert([contact('+971505550004')]));
      const retried = await client.upsert([contact('+971505550004')]);

      expect(failure.nonRetryable).toBe(false);
      expect(failure.message).toContain('EXPIRED_AUTHENTICATION');
      expect(retried.written).toHaveLength(1);
      expect(emulator.tokenRequests()).toBe(2);
    } finally {
      await emulator.close();
    }
  });

  it('fails for good, with HubSpot message, when the refresh token is bad', async () => {
    const emulator = await startHubSpotEmulator();
    try {
      const client = createHubSpotClient({
        baseUrl: emulator.url,
        auth: { kind: 'oauth', ...emulator.oauthClient, refreshToken: 'revoked-by-the-user' },
        burstLimit: GENEROUS,
      });
      const failure = await applicationFailureOf(client.prepare());

      expect(failure.nonRetryable).toBe(true);
      expect(failure.message).toContain('BAD_REFRESH_TOKEN');
      expect(failure.message).toContain('missing or unknown refresh token');
      expect(emulator.requestCount()).toBe(0);
    } finally {
      await emulator.close();
    }
  });
});

describe('HubSpot limits', () => {
  it('keeps a client under the burst limit when three times the limit is asked for at once', async () => {
    const burstLimit = { requests: 5, intervalMs: 300 };
    const { emulator, client } = await hubspotWithProperties({ burstLimit });
    try {
      const outcomes = await Promise.all(
        Array.from({ length: 3 * burstLimit.requests }, (_, i) => client.upsert([contact(`+97150333${String(i).padStart(4, '0')}`)])),
      );

      expect(outcomes.every((o) => o.written.length === 1)).toBe(true);
      expect(emulator.rateLimitedCount()).toBe(0);
    } finally {
      await emulator.close();
    }
  });

  it('turns a ten-secondly 429 into a retryable failure that waits out the window', async () => {
    const emulator = await startHubSpotEmulator({ burstLimit: { requests: 3, intervalMs: 5_000 } });
    try {
      const failure = await applicationFailureOf(privateAppClient(emulator).prepare());

      expect(emulator.rateLimitedCount()).toBe(1);
      expect(failure.nonRetryable).toBe(false);
      expect(failure.nextRetryDelay).toBe(5_000);
      expect(failure.message).toContain('TEN_SECONDLY_ROLLING');
    } finally {
      await emulator.close();
    }
  });

  it('pauses a private app until midnight in the account time zone when the daily limit is spent', async () => {
    const emulator = await startHubSpotEmulator({ dailyLimit: 1 });
    try {
      // OAuth calls have no daily limit on HubSpot, so this one leaves the private app its single request.
      await oauthClient(emulator).prepare();
      const lateInDubai = () => Date.parse('2025-03-10T22:30:00Z'); // 02:30 on 11 March in Dubai (UTC+4)
      const client = privateAppClient(emulator, { dailyLimitTimeZone: 'Asia/Dubai', now: lateInDubai });
      await client.upsert([contact('+971505550005')]);
      const failure = await applicationFailureOf(client.upsert([contact('+971505550006')]));
      const oauthOutcome = await oauthClient(emulator).upsert([contact('+971505550006')]);
      emulator.resetDailyLimit();
      const nextDay = await client.upsert([contact('+971505550007')]);

      expect(failure.type).toBe(CRM_ALLOWANCE_SPENT);
      expect(failure.nonRetryable).toBe(true);
      expect(failure.details).toEqual([{ crm: 'hubspot', resumeAt: '2025-03-11T20:00:00.000Z' }]);
      expect(failure.message).toContain('You have reached your daily limit.');
      expect(oauthOutcome.written).toHaveLength(1);
      expect(nextDay.written).toHaveLength(1);
    } finally {
      await emulator.close();
    }
  });

  it('tells a private app its daily allowance in the headers of each answer', async () => {
    const emulator = await startHubSpotEmulator({ dailyLimit: 3 });
    try {
      const look = () => fetch(`${emulator.url}/crm/v3/properties/contacts/phone`, { headers: { authorization: `Bearer ${emulator.token}` } });
      await look();
      const response = await look();

      expect(response.headers.get('x-hubspot-ratelimit-daily')).toBe('3');
      expect(response.headers.get('x-hubspot-ratelimit-daily-remaining')).toBe('1');
    } finally {
      await emulator.close();
    }
  });

  it('refuses a time zone Intl does not know when the client is made', () => {
    const make = () => createHubSpotClient({ baseUrl: 'http://127.0.0.1:9', auth: { kind: 'private-app', token: 't' }, burstLimit: GENEROUS, dailyLimitTimeZone: 'Mars/Olympus' });
    expect(make).toThrow(RangeError);
  });
});
