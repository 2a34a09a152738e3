import { generateKeyPairSync } from 'node:crypto';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fetch from 'node-fetch';
import { CRM_ALLOWANCE_SPENT } from '../crm-contact.ts';
import type { CrmClient, CrmContact } from '../crm-contact.ts';
import { applicationFailureOf } from '../../test/support/rejections.ts';
import { until } from '../../test/support/until.ts';
import { createSalesforceClient } from './client.ts';
import type { SalesforceClientOptions } from './client.ts';
import { DEFAULT_EXTERNAL_ID_FIELD } from './contact-mapping.ts';
import { startSalesforceEmulator } from './emulator.ts';
import type { SalesforceEmulator, SalesforceEmulatorOptions } from './emulator.ts';

const E164 = DEFAULT_EXTERNAL_ID_FIELD;
const API = '/services/data/v62.0';

function contact(e164: string, overrides: Partial<CrmContact> = {}): CrmContact {
  return {
    contactId: `contact-${e164.slice(1)}`,
    e164,
    name: 'Amira Al Mansouri',
    country: 'AE',
    whatsAppStatus: 'on_whatsapp',
    waId: e164.slice(1),
    consent: 'granted',
    consentAt: '2025-03-10T05:15:00.000Z',
    sourceChannels: ['sms', 'viber'],
    ...overrides,
  };
}

/** `count` contacts with numbers +9715<prefix>NNNNN. */
function contacts(prefix: string, count: number): CrmContact[] {
  return Array.from({ length: count }, (_, i) => contact(`+9715${prefix}${String(i).padStart(5, '0')}`));
}

function clientFor(emulator: SalesforceEmulator, options: Partial<SalesforceClientOptions> = {}): CrmClient {
  return createSalesforceClient({
    loginUrl: emulator.loginUrl,
    auth: { kind: 'client-credentials', clientId: emulator.clientId, clientSecret: emulator.clientSecret },
    pollIntervalMs: 25,
    requestRate: { requests: 200, intervalMs: 1_000 },
    ...options,
  });
}

async function preparedOrg(options: SalesforceEmulatorOptions = {}, clientOptions: Partial<SalesforceClientOptions> = {}) {
  const emulator = await startSalesforceEmulator(options);
  const client = clientFor(emulator, clientOptions);
  await client.prepare();
  return { emulator, client };
}

const recordsOf = (emulator: SalesforceEmulator, e164: string) => emulator.records().filter((record) => record[E164] === e164);

/** A raw API call with a session of its own, to check the emulator itself. */
async function rawCall(emulator: SalesforceEmulator, method: string, path: string, body?: string, contentType = 'application/json') {
  const login = await fetch(`${emulator.loginUrl}/services/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: emulator.clientId, client_secret: emulator.clientSecret }).toString(),
  });
  const { access_token: token } = (await login.json()) as { access_token: string };
  const response = await fetch(`${emulator.instanceUrl}${API}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
    body,
  });
  const text = await response.text();
  return { status: response.status, text, json: () => JSON.parse(text) as unknown, token };
}

describe('Salesforce login', () => {
  let emulator: SalesforceEmulator;
  beforeAll(async () => {
    ({ emulator } = await preparedOrg());
  });
  afterAll(() => emulator.close());

  it('logs in with client credentials once for concurrent callers and sends the calls to the instance', async () => {
    const client = clientFor(emulator);
    const loginsBefore = emulator.loginCount();
    const requestsBefore = emulator.requestCount();
    await Promise.all([client.upsert([contact('+971501000001')]), client.upsert([contact('+971501000011')])]);

    expect(emulator.loginCount() - loginsBefore).toBe(1);
    expect(emulator.requestCount() - requestsBefore).toBe(2);
    expect(emulator.instanceUrl).not.toBe(emulator.loginUrl);
    // The login server has no REST API: a client that ignored instance_url would get nowhere.
    const { token } = await rawCall(emulator, 'GET', '/sobjects/Contact/describe');
    const atLogin = await fetch(`${emulator.loginUrl}${API}/sobjects/Contact/describe`, { headers: { authorization: `Bearer ${token}` } });
    expect(atLogin.status).toBe(404);
  });

  it('logs in with a JWT bearer assertion signed by the connected app key', async () => {
    const client = clientFor(emulator, {
      auth: { kind: 'jwt-bearer', consumerKey: emulator.consumerKey, username: emulator.username, privateKey: emulator.privateKey },
    });
    const outcome = await client.upsert([contact('+971501000002')]);

    expect(outcome.written).toEqual([{ contactId: 'contact-971501000002', recordId: expect.any(String), created: true }]);
  });

  it('fails for good, with Salesforce reason, when the key, the user or the secret is wrong', async () => {
    const { privateKey: otherKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const jwt = (username: string, privateKey: string) =>
      clientFor(emulator, { auth: { kind: 'jwt-bearer', consumerKey: emulator.consumerKey, username, privateKey } });
    const secret = clientFor(emulator, { auth: { kind: 'client-credentials', clientId: emulator.clientId, clientSecret: 'guessed' } });

    const failures = [
      await applicationFailureOf(jwt(emulator.username, otherKey).prepare()),
      await applicationFailureOf(jwt('someone@else.example', emulator.privateKey).prepare()),
      await applicationFailureOf(secret.prepare()),
    ];

    expect(failures.map((f) => f.nonRetryable)).toEqual([true, true, true]);
    expect(failures[0]!.message).toMatch(/invalid_grant.*invalid assertion/);
    expect(failures[1]!.message).toMatch(/invalid_grant.*hasn't approved this consumer/);
    expect(failures[2]!.message).toMatch(/invalid_client.*invalid client credentials/);
  });

  it('drops an expired session with a retryable failure and logs in again on the next attempt', async () => {
    const client = clientFor(emulator);
    await client.upsert([contact('+971501000003')]);
    emulator.expireSessions();
    const loginsBefore = emulator.loginCount();

    const failure = await applicationFailureOf(client.upsert([contact('+971501000003', { whatsAppStatus: 'not_on_whatsapp' })]));
    const retried = await client.upsert([contact('+971501000003', { whatsAppStatus: 'not_on_whatsapp' })]);

    expect(failure.nonRetryable).toBe(false);
    expect(failure.message).toContain('INVALID_SESSION_ID');
    expect(retried.written).toEqual([{ contactId: 'contact-971501000003', recordId: expect.any(String), created: false }]);
    expect(emulator.loginCount() - loginsBefore).toBe(1);
  });
});

describe('Salesforce custom fields', () => {
  it('creates the missing fields once, even when two workers prepare at the same time', async () => {
    const emulator = await startSalesforceEmulator();
    try {
      await Promise.all([clientFor(emulator).prepare(), clientFor(emulator).prepare()]);
      const client = clientFor(emulator);
      const before = emulator.requestCount();
      await client.prepare();
      await client.prepare();

      expect(emulator.requestCount() - before).toBe(1); // one describe, nothing created
      const { fields } = (await rawCall(emulator, 'GET', '/sobjects/Contact/describe')).json() as { fields: Record<string, unknown>[] };
      expect(fields.find((f) => f.name === E164)).toMatchObject({ externalId: true, unique: true, type: 'string' });
      expect(fields.find((f) => f.name === 'WhatsApp_Consent__c')).toMatchObject({ type: 'picklist', restrictedPicklist: true });
      expect(fields.find((f) => f.name === 'WhatsApp_Consent_At__c')).toMatchObject({ type: 'datetime' });
    } finally {
      await emulator.close();
    }
  });

  it('refuses to upsert for good before the fields exist', async () => {
    const emulator = await startSalesforceEmulator();
    try {
      const failure = await applicationFailureOf(clientFor(emulator).upsert([contact('+971501000004')]));

      expect(failure.nonRetryable).toBe(true);
      expect(failure.message).toContain(E164);
    } finally {
      await emulator.close();
    }
  });
});

describe('Salesforce upsert through sObject Collections', () => {
  let emulator: SalesforceEmulator;
  let client: CrmClient;
  beforeAll(async () => {
    ({ emulator, client } = await preparedOrg({
      rejectRecord: (fields) => (fields.LastName === 'Refused' ? 'Last name is on the blocklist' : undefined),
    }));
  });
  afterAll(() => emulator.close());

  it('creates a contact, then updates the same record instead of duplicating it', async () => {
    const first = await client.upsert([contact('+971501100001', { whatsAppStatus: 'unknown', waId: null })]);
    const second = await client.upsert([contact('+971501100001')]);

    expect(first).toEqual({ written: [{ contactId: 'contact-971501100001', recordId: expect.any(String), created: true }], failed: [], retryLater: [] });
    expect(second.written).toEqual([{ contactId: 'contact-971501100001', recordId: first.written[0]!.recordId, created: false }]);
    const stored = recordsOf(emulator, '+971501100001');
    expect(stored).toHaveLength(1);
    expect(stored[0]).toEqual({
      Id: first.written[0]!.recordId,
      [E164]: '+971501100001',
      Phone: '+971501100001',
      FirstName: 'Amira',
      LastName: 'Al Mansouri',
      MailingCountry: 'AE',
      WhatsApp_Status__c: 'on_whatsapp',
      WhatsApp_Id__c: '971501100001',
      WhatsApp_Consent__c: 'granted',
      WhatsApp_Consent_At__c: '2025-03-10T05:15:00.000Z',
      Source_Channels__c: 'sms;viber',
    });
    expect(emulator.writesPerRecord().get(stored[0]!.Id)).toBe(2);
  });

  it('names a new nameless contact by its number, but keeps the name an existing record has', async () => {
    const nameless = { name: null, country: null, waId: null, consentAt: null, sourceChannels: [] };
    await client.upsert([contact('+971501100002', { name: 'Layla Haddad' })]);

    const outcome = await client.upsert([contact('+971501100002', nameless), contact('+971501100003', nameless)]);

    expect(outcome.written.map((w) => [w.contactId, w.created])).toEqual([['contact-971501100002', false], ['contact-971501100003', true]]);
    expect(recordsOf(emulator, '+971501100002')[0]).toMatchObject({ FirstName: 'Layla', LastName: 'Haddad', MailingCountry: 'AE' });
    expect(recordsOf(emulator, '+971501100003')[0]).toMatchObject({ LastName: '+971501100003' });
    expect(recordsOf(emulator, '+971501100003')[0]).not.toHaveProperty('MailingCountry');
  });

  it('writes 450 contacts in collections of 200, failing the planted rows with Salesforce reason', async () => {
    const batch = contacts('02', 450);
    batch[7] = { ...batch[7]!, name: 'Omar Refused' };
    batch[301] = { ...batch[301]!, name: 'Huda Refused' };
    const before = emulator.requestCount();

    const outcome = await client.upsert(batch);

    expect(emulator.requestCount() - before).toBe(3);
    expect(emulator.jobs()).toEqual([]);
    expect(outcome.written).toHaveLength(448);
    expect(outcome.written.every((w) => w.created)).toBe(true);
    expect(outcome.failed).toEqual([
      { contactId: batch[7]!.contactId, reason: 'FIELD_CUSTOM_VALIDATION_EXCEPTION: Last name is on the blocklist' },
      { contactId: batch[301]!.contactId, reason: 'FIELD_CUSTOM_VALIDATION_EXCEPTION: Last name is on the blocklist' },
    ]);
    expect(outcome.retryLater).toEqual([]);
    expect(recordsOf(emulator, batch[7]!.e164)).toEqual([]);
  });

  it('fails the row whose number matches several records, and writes the others', async () => {
    emulator.insertRecord({ [E164]: '+971501100004', LastName: 'Imported once' });
    emulator.insertRecord({ [E164]: '+971501100004', LastName: 'Imported twice' });

    const outcome = await client.upsert([contact('+971501100004'), contact('+971501100005')]);

    expect(outcome.written.map((w) => w.contactId)).toEqual(['contact-971501100005']);
    expect(outcome.failed).toEqual([{ contactId: 'contact-971501100004', reason: expect.stringMatching(/^DUPLICATE_EXTERNAL_ID: Contact: more than 1 record found/) }]);
  });

  it('refuses a write that repeats a number or is too large, before sending it', async () => {
    const before = emulator.requestCount();
    const twice = [contact('+971501100006', { contactId: 'a' }), contact('+971501100006', { contactId: 'b' })];

    const repeated = await applicationFailureOf(client.upsert(twice));
    const tooMany = await applicationFailureOf(client.upsert(contacts('03', client.maxContactsPerWrite + 1)));

    expect(repeated).toMatchObject({ nonRetryable: true, message: expect.stringContaining('a and b share one number') });
    expect(tooMany).toMatchObject({ nonRetryable: true, message: expect.stringContaining(String(client.maxContactsPerWrite)) });
    expect(emulator.requestCount()).toBe(before);
  });
});

describe('Salesforce upsert through Bulk API 2.0', () => {
  it('sends more than 2,000 contacts as one job, and a second sync updates the same records', async () => {
    const { emulator } = await preparedOrg({
      rejectRecord: (fields) => (fields.LastName === 'Refused' ? 'Last name is on the blocklist' : undefined),
      leaveUnprocessed: (fields) => fields[E164] === '+97150400009',
    });
    try {
      let polls = 0;
      const client = clientFor(emulator, { onProgress: () => polls++ });
      const batch = contacts('04', 2_100);
      batch[5] = { ...batch[5]!, name: 'Omar Refused' };

      const first = await client.upsert(batch);

      expect(emulator.jobs()).toEqual([expect.objectContaining({ state: 'JobComplete', numberRecordsProcessed: 2_099, numberRecordsFailed: 1 })]);
      expect(polls).toBeGreaterThan(0);
      expect(first.written).toHaveLength(2_098);
      expect(first.written.every((w) => w.created)).toBe(true);
      expect(first.failed).toEqual([{ contactId: batch[5]!.contactId, reason: 'FIELD_CUSTOM_VALIDATION_EXCEPTION: Last name is on the blocklist' }]);
      expect(first.retryLater).toEqual([{ contactId: batch[9]!.contactId, reason: expect.stringContaining('did not process this row') }]);
      expect(recordsOf(emulator, batch[100]!.e164)[0]).toMatchObject({ FirstName: 'Amira', Source_Channels__c: 'sms;viber', WhatsApp_Consent__c: 'granted' });

      const second = await clientFor(emulator).upsert(batch.filter((_, i) => i !== 5 && i !== 9));

      expect(emulator.jobs()).toHaveLength(2);
      expect(second.written).toHaveLength(2_098);
      expect(second.written.every((w) => !w.created)).toBe(true);
      expect(new Set(emulator.records().map((record) => record[E164])).size).toBe(emulator.records().length);
      expect(emulator.records()).toHaveLength(2_098);
    } finally {
      await emulator.close();
    }
  });

  it('keeps rows locked by a parallel load for a later write, never in the dead letters', async () => {
    const { emulator, client } = await preparedOrg({}, { bulkThreshold: 50 });
    try {
      const shared = contacts('05', 30);
      const left = [...contacts('06', 40), ...shared];
      const right = [...shared, ...contacts('07', 40)];
      emulator.holdBulkJobs();
      const both = Promise.all([client.upsert(left), clientFor(emulator, { bulkThreshold: 50 }).upsert(right)]);
      await until(() => emulator.jobs().filter((job) => job.state === 'InProgress').length === 2, 'two Bulk jobs running at once', 10_000);
      const duringJobs = await client.upsert([shared[0]!]);
      emulator.resumeBulkJobs();
      const outcomes = await both;

      expect(duringJobs.retryLater).toEqual([{ contactId: shared[0]!.contactId, reason: expect.stringMatching(/^UNABLE_TO_LOCK_ROW: /) }]);
      expect(outcomes.flatMap((o) => o.failed)).toEqual([]);
      const locked = outcomes.flatMap((o) => o.retryLater);
      expect(locked.map((l) => l.contactId).sort()).toEqual(shared.map((c) => c.contactId).sort());
      expect(locked.every((l) => l.reason.startsWith('UNABLE_TO_LOCK_ROW: '))).toBe(true);
      expect(outcomes.flatMap((o) => o.written)).toHaveLength(110);

      const later = await client.upsert(shared.filter((c) => locked.some((l) => l.contactId === c.contactId)));
      expect(later.written.map((w) => w.created)).toEqual(shared.map(() => false));
      expect(emulator.records()).toHaveLength(110);
    } finally {
      emulator.resumeBulkJobs();
      await emulator.close();
    }
  });
});

describe('Salesforce Bulk job failure', () => {
  it('fails for good with the job errorMessage when Salesforce fails the whole job', async () => {
    const emulator = await startSalesforceEmulator();
    try {
      // Only the external id field exists: the job is accepted, then fails on the columns it does not know.
      const field = await rawCall(emulator, 'POST', '/tooling/sobjects/CustomField', JSON.stringify({
        FullName: `Contact.${E164}`,
        Metadata: { label: 'Phone (E.164)', type: 'Text', length: 20, externalId: true, unique: true, caseSensitive: false },
      }));
      const failure = await applicationFailureOf(clientFor(emulator, { bulkThreshold: 1 }).upsert(contacts('08', 2)));

      expect(field.status).toBe(201);
      expect(failure.nonRetryable).toBe(true);
      expect(failure.message).toMatch(/Bulk job \w+ ended Failed: InvalidBatch : Field name not found : WhatsApp_Status__c/);
      expect(emulator.records()).toEqual([]);
    } finally {
      await emulator.close();
    }
  });
});

describe('Salesforce daily API allocation', () => {
  it('pauses the sync with CrmAllowanceSpent when the allocation is gone, and works once it returns', async () => {
    const { emulator } = await preparedOrg();
    try {
      const client = clientFor(emulator, { allowanceRecheckMs: 30 * 60_000 });
      emulator.setDailyAllocation(emulator.apiUsage().used);
      const before = Date.now();

      const failure = await applicationFailureOf(client.upsert([contact('+971501200001')]));

      expect(failure).toMatchObject({ type: CRM_ALLOWANCE_SPENT, nonRetryable: true });
      expect(failure.message).toContain('REQUEST_LIMIT_EXCEEDED');
      const [details] = failure.details as [{ crm: string; resumeAt: string }];
      expect(details.crm).toBe('salesforce');
      expect(Date.parse(details.resumeAt)).toBeGreaterThanOrEqual(before + 30 * 60_000);
      expect(Date.parse(details.resumeAt)).toBeLessThanOrEqual(Date.now() + 30 * 60_000);

      emulator.resetAllocation();
      expect((await client.upsert([contact('+971501200001')])).written).toHaveLength(1);
    } finally {
      await emulator.close();
    }
  });
});

describe('Salesforce emulator strictness', () => {
  let emulator: SalesforceEmulator;
  beforeAll(async () => {
    ({ emulator } = await preparedOrg());
  });
  afterAll(() => emulator.close());

  const record = (e164: string, fields: Record<string, unknown> = {}) => ({ attributes: { type: 'Contact' }, [E164]: e164, LastName: 'Haddad', ...fields });
  const upsert = (body: unknown) => rawCall(emulator, 'PATCH', `/composite/sobjects/Contact/${E164}`, JSON.stringify(body));

  it('answers the session check, the allocation header and whole-request errors as Salesforce does', async () => {
    const stranger = await fetch(`${emulator.instanceUrl}${API}/sobjects/Contact/describe`, { headers: { authorization: 'Bearer forged' } });
    const tooMany = await upsert({ allOrNone: false, records: Array.from({ length: 201 }, (_, i) => record(`+9715013${String(i).padStart(5, '0')}`)) });
    const untyped = await upsert({ records: [{ [E164]: '+971501300001', LastName: 'Haddad' }] });
    const unknownField = await upsert({ records: [record('+971501300001', { Loyalty_Tier__c: 'gold' })] });
    const notExternal = await rawCall(emulator, 'PATCH', '/composite/sobjects/Contact/Phone', JSON.stringify({ records: [record('+971501300001')] }));

    expect(stranger.status).toBe(401);
    expect(await stranger.json()).toEqual([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID', fields: [] }]);
    expect(stranger.headers.get('sforce-limit-info')).toMatch(/^api-usage=\d+\/\d+$/);
    expect([tooMany.status, tooMany.json()]).toEqual([400, [expect.objectContaining({ errorCode: 'EXCEEDED_ID_LIMIT' })]]);
    expect([untyped.status, untyped.json()]).toEqual([400, [expect.objectContaining({ errorCode: 'INVALID_TYPE' })]]);
    expect([unknownField.status, unknownField.json()]).toEqual([400, [expect.objectContaining({ errorCode: 'INVALID_FIELD' })]]);
    expect(notExternal.status).toBe(404);
  });

  it('fails both rows that share an external id, and rolls back everything under allOrNone', async () => {
    const shared = await upsert({ allOrNone: false, records: [record('+971501300002'), record('+971501300002'), record('+971501300003')] });
    const rolledBack = await upsert({ allOrNone: true, records: [record('+971501300004'), record('+971501300005', { LastName: null })] });

    expect(shared.json()).toEqual([
      { success: false, errors: [expect.objectContaining({ statusCode: 'DUPLICATE_EXTERNAL_ID' })] },
      { success: false, errors: [expect.objectContaining({ statusCode: 'DUPLICATE_EXTERNAL_ID' })] },
      { id: expect.any(String), success: true, created: true, errors: [] },
    ]);
    expect(rolledBack.json()).toEqual([
      { success: false, errors: [expect.objectContaining({ statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK' })] },
      { success: false, errors: [{ statusCode: 'REQUIRED_FIELD_MISSING', message: 'Required fields are missing: [LastName]', fields: ['LastName'] }] },
    ]);
    expect(recordsOf(emulator, '+971501300004')).toEqual([]);
  });

  it('runs a Bulk job only after UploadComplete, takes data only while Open, and gives results only when done', async () => {
    const created = await rawCall(emulator, 'POST', '/jobs/ingest', JSON.stringify({ object: 'Contact', operation: 'upsert', externalIdFieldName: E164, contentType: 'CSV', lineEnding: 'LF' }));
    const { id } = created.json() as { id: string };
    const csv = `${E164},LastName\n+971501300006,Haddad\n`;
    const early = await rawCall(emulator, 'GET', `/jobs/ingest/${id}/successfulResults`);
    const uploaded = await rawCall(emulator, 'PUT', `/jobs/ingest/${id}/batches`, csv, 'text/csv');
    const again = await rawCall(emulator, 'PUT', `/jobs/ingest/${id}/batches`, csv, 'text/csv');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const stillOpen = (await rawCall(emulator, 'GET', `/jobs/ingest/${id}`)).json();
    await rawCall(emulator, 'PATCH', `/jobs/ingest/${id}`, JSON.stringify({ state: 'UploadComplete' }));
    await until(async () => ((await rawCall(emulator, 'GET', `/jobs/ingest/${id}`)).json() as { state: string }).state === 'JobComplete', 'the job to complete', 10_000);
    const results = await rawCall(emulator, 'GET', `/jobs/ingest/${id}/successfulResults`);

    expect(created.status).toBe(200);
    expect(early.status).toBe(409);
    expect(uploaded.status).toBe(201);
    expect(again.status).toBe(409);
    expect(stillOpen).toMatchObject({ state: 'Open', numberRecordsProcessed: 0 });
    expect(results.text).toMatch(new RegExp(`^"sf__Id","sf__Created","${E164}","LastName"\\n"003\\w{15}","true","\\+971501300006","Haddad"\\n$`));
  });
});
