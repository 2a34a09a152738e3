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
  contact('+971501240001', 'Amira Al Mansouri'),
  contact('+971501240002', 'Yusuf Haddad'),
  contact('+971501240003', 'Leila Nasser'),
];
const [FORGOTTEN, ...KEPT] = PEOPLE as [CrmContact, ...CrmContact[]];

async function org(options: SalesforceEmulatorOptions = {}, clientOptions: Partial<SalesforceClientOptions> = {}) {
  const emulator = await startSalesforceEmulator(options);
  const client = createSalesforceClient({
    loginUrl: emulator.loginUrl,
    auth: { kind: 'client-credentials', clientId: emulator.clientId, clientSecret: emulator.clientSecret },
    pollIntervalMs: 25,
    requestRate: { requests: 200, intervalMs: 1_000 },
    ...clientOptions,
  });
  await client.prepare();
  return { emulator, client };
}

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
  return { status: response.status, text, json: () => JSON.parse(text) as unknown };
}

function expectKept(emulator: SalesforceEmulator): void {
  for (const person of KEPT) {
    expect(emulator.records().filter((record) => record[E164] === person.e164)).toHaveLength(1);
    expect(emulator.holds(person.name!.split(' ')[0]!)).toBe(true);
  }
}

describe('Salesforce erasure without Bulk API Hard Delete', () => {
  let emulator: SalesforceEmulator;
  let client: CrmClient;
  beforeAll(async () => {
    ({ emulator, client } = await org());
    await client.upsert(PEOPLE);
  });
  afterAll(() => emulator.close());

  it('deletes the person, leaves the others, and answers absent the second time; the Recycle Bin still holds the record', async () => {
    expect(await client.forget(FORGOTTEN.e164)).toEqual({ outcome: 'deleted', records: 1 });

    expect(emulator.records().some((record) => record[E164] === FORGOTTEN.e164)).toBe(false);
    expectKept(emulator);
    // What the REST API cannot do: Salesforce keeps the deleted record, restorable, for 15 days.
    expect(emulator.recycleBin()).toEqual([expect.objectContaining({ [E164]: FORGOTTEN.e164, LastName: 'Al Mansouri' })]);
    expect(emulator.holds(FORGOTTEN.e164)).toBe(true);

    expect(await client.forget(FORGOTTEN.e164)).toEqual({ outcome: 'absent', records: 0 });
  });

  it('deletes every record that carries the number when Salesforce finds several (300 Multiple Choices)', async () => {
    const number = '+971501240077';
    const first = emulator.insertRecord({ LastName: 'Duplicate One', [E164]: number });
    const second = emulator.insertRecord({ LastName: 'Duplicate Two', [E164]: number });
    const lookup = await rawCall(emulator, 'GET', `/sobjects/Contact/${E164}/${encodeURIComponent(number)}`);
    expect(lookup.status).toBe(300);
    expect(lookup.json()).toEqual([`${API}/sobjects/Contact/${first}`, `${API}/sobjects/Contact/${second}`]);

    expect(await client.forget(number)).toEqual({ outcome: 'deleted', records: 2 });
    expect(emulator.records().some((record) => record[E164] === number)).toBe(false);
  });

  it('fails for good, rather than answering absent, when the external id field is not there', async () => {
    const misconfigured = createSalesforceClient({
      loginUrl: emulator.loginUrl,
      auth: { kind: 'client-credentials', clientId: emulator.clientId, clientSecret: emulator.clientSecret },
      externalIdField: 'Mobile_E164__c',
    });
    const failure = await applicationFailureOf(misconfigured.forget(KEPT[0]!.e164));
    expect(failure).toMatchObject({ nonRetryable: true, message: expect.stringContaining('Provided external ID field does not exist') });
    expect(failure.message).not.toContain(KEPT[0]!.e164);
    expectKept(emulator);
  });

  it('fails for good when the org refuses a hard delete the user has no permission for, and deletes nothing', async () => {
    const hard = createSalesforceClient({
      loginUrl: emulator.loginUrl,
      auth: { kind: 'client-credentials', clientId: emulator.clientId, clientSecret: emulator.clientSecret },
      hardDelete: true,
    });
    const failure = await applicationFailureOf(hard.forget(KEPT[0]!.e164));
    expect(failure).toMatchObject({ nonRetryable: true, message: expect.stringContaining('FEATURENOTENABLED') });
    expectKept(emulator);
  });
});

describe('Salesforce erasure with Bulk API Hard Delete', () => {
  let emulator: SalesforceEmulator;
  let client: CrmClient;
  beforeAll(async () => {
    // A Bulk threshold of 2 sends the three people through a Bulk upsert job, whose data Salesforce keeps.
    ({ emulator, client } = await org({ bulkApiHardDelete: true }, { hardDelete: true, bulkThreshold: 2 }));
    await client.upsert(PEOPLE);
  });
  afterAll(() => emulator.close());

  it('leaves nothing of the person in the org: no record, no Recycle Bin entry, no Bulk job data', async () => {
    expect(emulator.jobs()).toEqual([expect.objectContaining({ operation: 'upsert', state: 'JobComplete' })]);
    expect(emulator.holds(FORGOTTEN.e164)).toBe(true);

    expect(await client.forget(FORGOTTEN.e164)).toEqual({ outcome: 'deleted', records: 1 });

    expect(emulator.holds(FORGOTTEN.e164)).toBe(false);
    expect(emulator.holds(FORGOTTEN.e164.slice(1))).toBe(false); // the WhatsApp id
    expect(emulator.holds('Amira')).toBe(false);
    expect(emulator.holds('Al Mansouri')).toBe(false);
    expect(emulator.recycleBin()).toEqual([]);
    expectKept(emulator);
    expect(emulator.jobs()).toEqual([expect.objectContaining({ operation: 'hardDelete', state: 'JobComplete', numberRecordsFailed: 0 })]);

    expect(await client.forget(FORGOTTEN.e164)).toEqual({ outcome: 'absent', records: 0 });
  });

  it('waits, with a retryable failure, while a Bulk upsert on Contact runs, and erases once it has ended', async () => {
    const late = contact('+971501240004', 'Rami Saleh');
    emulator.holdBulkJobs();
    const running = client.upsert([late, contact('+971501240005', 'Nour Aziz'), contact('+971501240006', 'Hala Odeh')]);
    await until(() => emulator.jobs().some((job) => job.state === 'InProgress'), 'a Bulk upsert running', 10_000);

    const waiting = await applicationFailureOf(client.forget(late.e164));
    expect(waiting).toMatchObject({ nonRetryable: false, nextRetryDelay: 30_000, message: expect.stringContaining('still runs on Contact') });

    emulator.resumeBulkJobs();
    await running;
    expect(await client.forget(late.e164)).toEqual({ outcome: 'deleted', records: 1 });
    expect(emulator.holds(late.e164)).toBe(false);
    expect(emulator.holds('Rami')).toBe(false);
    expect(emulator.holds('Nour')).toBe(true);
  });
});

describe('Salesforce erasure and the org limits', () => {
  it('pauses with CrmAllowanceSpent when the daily allocation is gone, and erases once it returns', async () => {
    const { emulator, client } = await org();
    try {
      await client.upsert(PEOPLE);
      emulator.setDailyAllocation(emulator.apiUsage().used);
      const spent = await applicationFailureOf(client.forget(FORGOTTEN.e164));
      expect(spent.type).toBe(CRM_ALLOWANCE_SPENT);
      expect(emulator.records()).toHaveLength(PEOPLE.length);

      emulator.resetAllocation();
      expect(await client.forget(FORGOTTEN.e164)).toEqual({ outcome: 'deleted', records: 1 });
    } finally {
      await emulator.close();
    }
  });

  it('fails retryably when the session has expired, and erases on the retry with a new one', async () => {
    const { emulator, client } = await org();
    try {
      await client.upsert(PEOPLE);
      emulator.expireSessions();
      const expired = await applicationFailureOf(client.forget(FORGOTTEN.e164));
      expect(expired).toMatchObject({ nonRetryable: false, type: 'SalesforceUnavailable' });
      expect(await client.forget(FORGOTTEN.e164)).toEqual({ outcome: 'deleted', records: 1 });
    } finally {
      await emulator.close();
    }
  });
});

describe('Salesforce emulator strictness for erasure', () => {
  let emulator: SalesforceEmulator;
  let client: CrmClient;
  beforeAll(async () => {
    ({ emulator, client } = await org({ bulkApiHardDelete: true }));
    await client.upsert(PEOPLE);
  });
  afterAll(() => emulator.close());

  it('answers a look-up and a delete as Salesforce does', async () => {
    const found = await rawCall(emulator, 'GET', `/sobjects/Contact/${E164}/${encodeURIComponent(KEPT[0]!.e164)}`);
    expect(found.status).toBe(200);
    const record = found.json() as Record<string, unknown>;
    expect(record).toMatchObject({ attributes: { type: 'Contact' }, Id: expect.stringMatching(/^003/), LastName: 'Haddad', [E164]: KEPT[0]!.e164 });

    const none = await rawCall(emulator, 'GET', `/sobjects/Contact/${E164}/${encodeURIComponent('+971509999999')}`);
    expect(none.status).toBe(404);
    expect(none.json()).toEqual([expect.objectContaining({ errorCode: 'NOT_FOUND' })]);
    const noField = await rawCall(emulator, 'GET', `/sobjects/Contact/Phone/${encodeURIComponent(KEPT[0]!.e164)}`);
    expect(noField.json()).toEqual([expect.objectContaining({ message: 'Provided external ID field does not exist or is not accessible: Phone' })]);

    const deleted = await rawCall(emulator, 'DELETE', `/sobjects/Contact/${String(record.Id)}`);
    expect(deleted).toMatchObject({ status: 204, text: '' });
    const again = await rawCall(emulator, 'DELETE', `/sobjects/Contact/${String(record.Id)}`);
    expect(again.status).toBe(404);
    expect(again.json()).toEqual([expect.objectContaining({ errorCode: 'ENTITY_IS_DELETED' })]);
    expect((await rawCall(emulator, 'DELETE', '/sobjects/Contact/not-an-id')).status).toBe(400);
  });

  it('runs a hardDelete job only on a CSV of ids, and deletes a finished job with its data only', async () => {
    const created = await rawCall(emulator, 'POST', '/jobs/ingest', JSON.stringify({ object: 'Contact', operation: 'hardDelete', contentType: 'CSV', lineEnding: 'LF' }));
    const jobId = (created.json() as { id: string }).id;
    expect((await rawCall(emulator, 'DELETE', `/jobs/ingest/${jobId}`)).status).toBe(409); // still Open
    await rawCall(emulator, 'PUT', `/jobs/ingest/${jobId}/batches`, `Id,LastName\n003Emxxxxxxxxx1AAE,Nasser\n`, 'text/csv');
    await rawCall(emulator, 'PATCH', `/jobs/ingest/${jobId}`, JSON.stringify({ state: 'UploadComplete' }));
    await until(async () => ((await rawCall(emulator, 'GET', `/jobs/ingest/${jobId}`)).json() as { state: string }).state === 'Failed', 'the job failed', 5_000);
    expect((await rawCall(emulator, 'GET', `/jobs/ingest/${jobId}`)).json()).toMatchObject({ errorMessage: "InvalidBatch : The 'hardDelete' batch must contain only ids" });
    expect(emulator.records()).toHaveLength(PEOPLE.length - 1);

    const listed = await rawCall(emulator, 'GET', '/jobs/ingest?jobType=V2Ingest');
    expect(listed.json()).toMatchObject({ done: true, records: [expect.objectContaining({ id: jobId, operation: 'hardDelete', state: 'Failed' })] });
    expect(await rawCall(emulator, 'DELETE', `/jobs/ingest/${jobId}`)).toMatchObject({ status: 204, text: '' });
    expect(emulator.holds('Nasser')).toBe(true); // the record, not the deleted job
    expect(emulator.jobs()).toEqual([]);
  });
});
