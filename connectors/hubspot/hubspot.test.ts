import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fetch from 'node-fetch';
import { createHubSpotClient, HUBSPOT_BATCH_LIMIT } from './client.ts';
import type { HubSpotClient, HubSpotContactInput } from './client.ts';
import { toHubSpotProperties, UNIQUE_ID_PROPERTY } from './contact-mapping.ts';
import type { CrmContact } from './contact-mapping.ts';
import { startHubSpotEmulator } from './emulator.ts';
import type { HubSpotEmulator } from './emulator.ts';
import { applicationFailureOf } from '../../test/support/rejections.ts';

const GENEROUS = { requests: 190, intervalMs: 10_000 };

function contact(e164: string, overrides: Partial<CrmContact> = {}): CrmContact {
  return { e164, name: 'Amira Al Mansouri', country: 'AE', whatsAppStatus: 'on_whatsapp', waId: e164.slice(1), ...overrides };
}

function input(crmContact: CrmContact, traceId = `trace-${crmContact.e164}`): HubSpotContactInput {
  return { idValue: crmContact.e164, properties: toHubSpotProperties(crmContact), traceId };
}

/** An emulator with the contact properties in place, and a client for it. */
async function hubspotWithProperties(options: Parameters<typeof startHubSpotEmulator>[0] = {}) {
  const emulator = await startHubSpotEmulator(options);
  const client = createHubSpotClient({ baseUrl: emulator.url, token: emulator.token, burstLimit: options.burstLimit ?? GENEROUS });
  await client.ensureContactProperties();
  return { emulator, client };
}

describe('HubSpot contact properties', () => {
  let emulator: HubSpotEmulator;
  beforeAll(async () => {
    emulator = await startHubSpotEmulator();
  });
  afterAll(() => emulator.close());

  it('creates the unique id property once, even when two workers ensure it at the same time', async () => {
    const client = () => createHubSpotClient({ baseUrl: emulator.url, token: emulator.token, burstLimit: GENEROUS });
    await Promise.all([client().ensureContactProperties(), client().ensureContactProperties()]);
    const before = emulator.requestCount();
    await client().ensureContactProperties();

    expect(emulator.requestCount() - before).toBe(3); // one look per property, nothing created
    const response = await fetch(`${emulator.url}/crm/v3/properties/contacts/${UNIQUE_ID_PROPERTY}`, {
      headers: { authorization: `Bearer ${emulator.token}` },
    });
    expect(await response.json()).toMatchObject({ name: UNIQUE_ID_PROPERTY, hasUniqueValue: true });
  });
});

describe('HubSpot contact upsert', () => {
  let emulator: HubSpotEmulator;
  let client: HubSpotClient;
  beforeAll(async () => {
    ({ emulator, client } = await hubspotWithProperties({
      rejectInput: (properties) => (properties.lastname === 'Refused' ? 'lastname is on the blocklist' : undefined),
    }));
  });
  afterAll(() => emulator.close());

  it('creates a contact, then updates the same record instead of duplicating it', async () => {
    const first = await client.upsertContacts([input(contact('+971501110001', { whatsAppStatus: 'unknown', waId: null }))]);
    const second = await client.upsertContacts([input(contact('+971501110001'))]);

    expect(first.failed).toEqual([]);
    expect(first.succeeded).toEqual([{ traceId: 'trace-+971501110001', hubspotId: expect.any(String), created: true }]);
    expect(second.succeeded).toEqual([{ traceId: 'trace-+971501110001', hubspotId: first.succeeded[0]!.hubspotId, created: false }]);
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

  it('reports a partial failure with its reason and never as a success', async () => {
    const outcome = await client.upsertContacts([
      input(contact('+971501110002')),
      input(contact('+971501110003', { name: 'Omar Refused' })),
      input(contact('+971501110004')),
    ]);

    expect(outcome.succeeded.map((s) => s.traceId)).toEqual(['trace-+971501110002', 'trace-+971501110004']);
    expect(outcome.failed).toEqual([{ traceId: 'trace-+971501110003', reason: 'lastname is on the blocklist' }]);
    expect(emulator.records().some((r) => r.properties[UNIQUE_ID_PROPERTY] === '+971501110003')).toBe(false);
  });

  it('reports a property HubSpot does not know as that input failing', async () => {
    const unknownProperty = { idValue: '+971501110005', properties: { loyalty_tier: 'gold' }, traceId: 'trace-unknown' };
    const outcome = await client.upsertContacts([unknownProperty]);

    expect(outcome.succeeded).toEqual([]);
    expect(outcome.failed).toEqual([{ traceId: 'trace-unknown', reason: expect.stringContaining('loyalty_tier') }]);
  });

  it('refuses a batch that repeats a contact or is too large, before sending it', async () => {
    const before = emulator.requestCount();
    const twice = [input(contact('+971501110006'), 'trace-a'), input(contact('+971501110006'), 'trace-b')];
    const tooMany = Array.from({ length: HUBSPOT_BATCH_LIMIT + 1 }, (_, i) => input(contact(`+9715022${String(i).padStart(5, '0')}`)));

    await expect(client.upsertContacts(twice)).rejects.toThrow(/trace-a and trace-b/);
    await expect(client.upsertContacts(tooMany)).rejects.toThrow(String(HUBSPOT_BATCH_LIMIT));
    expect(emulator.requestCount()).toBe(before);
  });

  it('fails for good when the token is wrong', async () => {
    const intruder = createHubSpotClient({ baseUrl: emulator.url, token: 'expired', burstLimit: GENEROUS });
    const failure = await applicationFailureOf(intruder.upsertContacts([input(contact('+971501110007'))]));

    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('INVALID_AUTHENTICATION');
  });
});

describe('HubSpot burst limit', () => {
  it('keeps a client under the burst limit when three times the limit is asked for at once', async () => {
    const burstLimit = { requests: 5, intervalMs: 300 };
    const { emulator, client } = await hubspotWithProperties({ burstLimit });
    try {
      const outcomes = await Promise.all(
        Array.from({ length: 3 * burstLimit.requests }, (_, i) => client.upsertContacts([input(contact(`+97150333${String(i).padStart(4, '0')}`))])),
      );

      expect(outcomes.every((o) => o.succeeded.length === 1)).toBe(true);
      expect(emulator.rateLimitedCount()).toBe(0);
    } finally {
      await emulator.close();
    }
  });

  it('turns a 429 into a retryable failure that waits out the window', async () => {
    const emulator = await startHubSpotEmulator({ burstLimit: { requests: 3, intervalMs: 5_000 } });
    const eager = createHubSpotClient({ baseUrl: emulator.url, token: emulator.token, burstLimit: GENEROUS });
    try {
      const failure = await applicationFailureOf(eager.ensureContactProperties());

      expect(emulator.rateLimitedCount()).toBe(1);
      expect(failure.nonRetryable).toBe(false);
      expect(failure.nextRetryDelay).toBe(5_000);
      expect(failure.message).toContain('TEN_SECONDLY_ROLLING');
    } finally {
      await emulator.close();
    }
  });
});
