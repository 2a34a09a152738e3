import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fetch from 'node-fetch';
import type { CrmClient, CrmContact } from '../crm-contact.ts';
import { applicationFailureOf } from '../../test/support/rejections.ts';
import { createHubSpotClient } from './client.ts';
import { UNIQUE_ID_PROPERTY } from './contact-mapping.ts';
import { startHubSpotEmulator } from './emulator.ts';
import type { HubSpotEmulator } from './emulator.ts';

const GENEROUS = { requests: 190, intervalMs: 10_000 };

function contact(e164: string, name: string): CrmContact {
  return {
    contactId: `contact-${e164.slice(1)}`,
    e164,
    name,
    country: 'AE',
    whatsAppStatus: 'on_whatsapp',
    waId: e164.slice(1),
    consent: 'granted',
    consentAt: '2025-03-10T05:15:00.000Z',
    sourceChannels: ['sms', 'viber'],
  };
}

const PEOPLE = [
  contact('+971501230001', 'Amira Al Mansouri'),
  contact('+971501230002', 'Yusuf Haddad'),
  contact('+971501230003', 'Leila Nasser'),
];

function clientFor(emulator: HubSpotEmulator, burstLimit = GENEROUS): CrmClient {
  return createHubSpotClient({ baseUrl: emulator.url, auth: { kind: 'private-app', token: emulator.token }, burstLimit });
}

async function gdprDelete(emulator: HubSpotEmulator, body: unknown) {
  const response = await fetch(`${emulator.url}/crm/v3/objects/contacts/gdpr-delete`, {
    method: 'POST',
    headers: { authorization: `Bearer ${emulator.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

describe('HubSpot erasure', () => {
  let emulator: HubSpotEmulator;
  let client: CrmClient;
  beforeAll(async () => {
    emulator = await startHubSpotEmulator();
    client = clientFor(emulator);
    await client.prepare();
    await client.upsert(PEOPLE);
  });
  afterAll(() => emulator.close());

  it('deletes the one person for good, leaves the others, and answers absent the second time', async () => {
    const [forgotten, ...kept] = PEOPLE;
    expect(emulator.holds(forgotten!.e164)).toBe(true);

    expect(await client.forget(forgotten!.e164)).toEqual({ outcome: 'deleted', records: 1 });

    expect(emulator.holds(forgotten!.e164)).toBe(false);
    expect(emulator.holds(forgotten!.e164.slice(1))).toBe(false); // the wa_id too
    expect(emulator.holds('Amira')).toBe(false);
    expect(emulator.holds('Al Mansouri')).toBe(false);
    for (const person of kept) {
      expect(emulator.holds(person.e164)).toBe(true);
      expect(emulator.holds(person.name!.split(' ')[0]!)).toBe(true);
    }
    expect(emulator.records().map((record) => record.properties[UNIQUE_ID_PROPERTY]).sort()).toEqual(kept.map((person) => person.e164));

    expect(await client.forget(forgotten!.e164)).toEqual({ outcome: 'absent', records: 0 });
  });

  it('lets the number come back as a new contact after erasure, when the sync sends it again', async () => {
    const person = PEOPLE[1]!;
    const before = emulator.records().find((record) => record.properties[UNIQUE_ID_PROPERTY] === person.e164)!;
    await client.forget(person.e164);
    const again = await client.upsert([person]);
    expect(again.written).toEqual([{ contactId: person.contactId, recordId: expect.not.stringMatching(`^${before.id}$`), created: true }]);
  });

  it('answers the GDPR delete as HubSpot does: 204 without a body, 404 for no contact, 400 for a key it cannot use', async () => {
    const person = PEOPLE[2]!;
    const deleted = await gdprDelete(emulator, { objectId: person.e164, idProperty: UNIQUE_ID_PROPERTY });
    expect(deleted).toEqual({ status: 204, text: '' });
    expect((await gdprDelete(emulator, { objectId: person.e164, idProperty: UNIQUE_ID_PROPERTY })).status).toBe(404);
    expect((await gdprDelete(emulator, { objectId: '99999999' })).status).toBe(404);

    const unknown = await gdprDelete(emulator, { objectId: person.e164, idProperty: 'channelshift_phone' });
    expect(unknown.status).toBe(400);
    expect(JSON.parse(unknown.text)).toMatchObject({ category: 'VALIDATION_ERROR', message: expect.stringContaining('channelshift_phone') });
    const notUnique = await gdprDelete(emulator, { objectId: person.e164, idProperty: 'phone' });
    expect(notUnique.status).toBe(400);
    expect((await gdprDelete(emulator, { idProperty: UNIQUE_ID_PROPERTY })).status).toBe(400);
  });

  it('blocks an email it found no contact for, as HubSpot does, so it cannot be used again', async () => {
    expect((await gdprDelete(emulator, { objectId: 'Former.Customer@example.com', idProperty: 'email' })).status).toBe(204);
    const response = await fetch(`${emulator.url}/crm/v3/objects/contacts/batch/upsert`, {
      method: 'POST',
      headers: { authorization: `Bearer ${emulator.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        inputs: [{ id: '+971501230009', idProperty: UNIQUE_ID_PROPERTY, properties: { email: 'former.customer@example.com' } }],
      }),
    });
    expect(response.status).toBe(207);
    expect(await response.json()).toMatchObject({ numErrors: 1, errors: [{ message: expect.stringContaining('blocked') }] });
  });

  it('fails for good when the token is refused, with nothing deleted', async () => {
    await client.upsert([contact('+971501230009', 'Sami Khoury')]);
    const stranger = createHubSpotClient({ baseUrl: emulator.url, auth: { kind: 'private-app', token: 'pat-na1-wrong' }, burstLimit: GENEROUS });
    const failure = await applicationFailureOf(stranger.forget('+971501230009'));
    expect(failure).toMatchObject({ nonRetryable: true, type: 'HubSpotRejected' });
    expect(emulator.holds('+971501230009')).toBe(true);
  });
});

describe('HubSpot erasure under the burst limit', () => {
  it('turns a ten-secondly 429 into a retryable failure that waits out the window, and erases on the retry', async () => {
    const burstLimit = { requests: 10, intervalMs: 1_000 };
    const emulator = await startHubSpotEmulator({ burstLimit });
    try {
      const client = clientFor(emulator, burstLimit);
      await client.prepare();
      await client.upsert([PEOPLE[0]!]);
      await sleep(1_300);
      // Other apps on the account spend the window: HubSpot counts the account's requests, not one client's.
      const list = () => fetch(`${emulator.url}/crm/v3/objects/contacts`, { headers: { authorization: `Bearer ${emulator.token}` } });
      await Promise.all(Array.from({ length: burstLimit.requests }, list));

      const throttled = await applicationFailureOf(client.forget(PEOPLE[0]!.e164));
      expect(throttled).toMatchObject({ nonRetryable: false, type: 'HubSpotUnavailable', nextRetryDelay: 1_000 });
      expect(emulator.holds(PEOPLE[0]!.e164)).toBe(true);

      await sleep(1_100);
      expect(await client.forget(PEOPLE[0]!.e164)).toEqual({ outcome: 'deleted', records: 1 });
      expect(emulator.holds(PEOPLE[0]!.e164)).toBe(false);
    } finally {
      await emulator.close();
    }
  });
});
