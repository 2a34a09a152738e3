import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { stringify } from 'csv-stringify/sync';
import { unzipSync } from 'fflate';
import { startVonageEmulator } from './emulator.ts';
import type { VonageEmulator, VonageEmulatorOptions } from './emulator.ts';
import { vonageRecordToSourceRecord } from './record-mapping.ts';
import { readVonageReportFile } from './report-file.ts';
import { createVonageReportsClient, VonageCursorExpired } from './reports-client.ts';
import type { RecordsPage, RecordsQuery, ReportStatus, VonageRecord, VonageReportsClient } from './reports-client.ts';
import { formatVonageTime } from './vonage-time.ts';
import { applicationFailureOf, rejectionOf } from '../../test/support/rejections.ts';

const ACCOUNT = 'abcd1234';
const BUSINESS_NUMBER = '447700900123';
const DAY_MS = 86_400_000;
const WINDOW_START = Date.parse('2024-03-01T00:00:00Z');
const WINDOW_END = WINDOW_START + DAY_MS;
const OUTBOUND_IN_WINDOW = 2500;
const INBOUND_IN_WINDOW = 1200;

function customerNumber(n: number): string {
  return `4477009${String(n).padStart(5, '0')}`;
}

function sms(direction: 'inbound' | 'outbound', id: string, n: number, at: number): VonageRecord {
  const common = {
    account_id: ACCOUNT,
    message_id: id,
    direction,
    message_body: `Your code is ${n}`,
    network: '23410',
    network_name: 'O2 UK',
    country: 'GB',
    country_name: 'United Kingdom',
    date_received: formatVonageTime(new Date(at)),
    currency: 'EUR',
    total_price: '0.00620000',
  };
  if (direction === 'inbound') return { ...common, from: customerNumber(n), to: BUSINESS_NUMBER };
  const failed = n % 7 === 0;
  return {
    ...common,
    client_ref: '',
    from: BUSINESS_NUMBER,
    to: customerNumber(n),
    date_finalized: formatVonageTime(new Date(at + 2000)),
    latency: '2000',
    status: failed ? 'failed' : 'delivered',
    error_code: failed ? '1' : '0',
    error_code_description: failed ? 'Unknown' : 'Delivered',
  };
}

/** Two messages share each timestamp, so page boundaries fall inside ties; a few lie just outside the window. */
function smsHistory(): VonageRecord[] {
  const outbound = Array.from({ length: OUTBOUND_IN_WINDOW }, (_, n) =>
    sms('outbound', `out-${String(n).padStart(5, '0')}`, n, WINDOW_START + Math.floor((n + 1) / 2) * 30_000),
  );
  const inbound = Array.from({ length: INBOUND_IN_WINDOW }, (_, n) =>
    sms('inbound', `in-${String(n).padStart(5, '0')}`, n, WINDOW_START + n * 60_000 + 15_000),
  );
  const outside = [
    sms('outbound', 'out-before', 90_001, WINDOW_START - 1000),
    sms('outbound', 'out-at-end', 90_002, WINDOW_END),
    sms('inbound', 'in-at-end', 90_003, WINDOW_END),
  ];
  // Given in no particular order: the emulator must sort as Vonage does.
  return [...outbound, ...inbound, ...outside].reverse();
}

const HISTORY = smsHistory();
const idsOf = (records: readonly VonageRecord[]) => records.map((r) => r.message_id);
const inWindow = (direction: string) =>
  HISTORY.filter((r) => r.direction === direction && r.message_id!.match(/^(in|out)-\d+$/)).map((r) => r.message_id!).sort();

function windowQuery(direction: 'inbound' | 'outbound', start = WINDOW_START, end = WINDOW_END): RecordsQuery {
  return { accountId: ACCOUNT, direction, dateStart: new Date(start).toISOString(), dateEnd: new Date(end).toISOString() };
}

function clientFor(emulator: VonageEmulator, overrides: { apiSecret?: string; timeoutMs?: number } = {}): VonageReportsClient {
  return createVonageReportsClient({ baseUrl: emulator.url, apiKey: emulator.apiKey, apiSecret: emulator.apiSecret, ...overrides });
}

async function allPages(client: VonageReportsClient, query: RecordsQuery): Promise<RecordsPage[]> {
  const pages = [await client.records(query)];
  while (pages.at(-1)!.next !== null) pages.push(await client.recordsAt(pages.at(-1)!.next!));
  return pages;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

function basicAuth(emulator: VonageEmulator): string {
  return `Basic ${Buffer.from(`${emulator.apiKey}:${emulator.apiSecret}`).toString('base64')}`;
}

/** A raw sync query, for what the client never sends. */
async function rawRecords(emulator: VonageEmulator, params: Record<string, string>) {
  const response = await fetch(`${emulator.url}/v2/reports/records?${new URLSearchParams(params)}`, {
    headers: { authorization: basicAuth(emulator) },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function finishedReport(client: VonageReportsClient, query: RecordsQuery) {
  const { requestId } = await client.createReport(query);
  const statuses: ReportStatus[] = [];
  for (;;) {
    const { status, downloadUrl } = await client.reportStatus(requestId);
    statuses.push(status);
    if (status !== 'PENDING' && status !== 'PROCESSING') return { statuses, downloadUrl };
    expect(downloadUrl).toBeNull();
  }
}

const GENEROUS: Partial<VonageEmulatorOptions> = { syncPerSecond: 1000, asyncPerSecond: 1000 };

describe('Vonage sync records', () => {
  let emulator: VonageEmulator;
  let client: VonageReportsClient;
  beforeAll(async () => {
    emulator = await startVonageEmulator({ records: HISTORY, ...GENEROUS });
    client = clientFor(emulator);
  });
  afterAll(() => emulator.close());

  it('pages through TRUNCATED answers and collects every record of the window exactly once', async () => {
    const pages = await allPages(client, windowQuery('outbound'));

    expect(pages.map((p) => p.records.length)).toEqual([1000, 1000, 500]);
    const ids = idsOf(pages.flatMap((p) => p.records));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(inWindow('outbound'));
    expect(ids).toContain('out-00000'); // date_start is inclusive
    expect(ids).not.toContain('out-at-end'); // date_end is exclusive
    expect(pages.flatMap((p) => p.records).every((r) => r.message_body === undefined)).toBe(true);
  });

  it('reads inbound messages apart from outbound ones', async () => {
    const pages = await allPages(client, windowQuery('inbound'));

    const records = pages.flatMap((p) => p.records);
    expect(pages).toHaveLength(2);
    expect([...idsOf(records)].sort()).toEqual(inWindow('inbound'));
    expect(records.every((r) => r.direction === 'inbound' && r.to === BUSINESS_NUMBER)).toBe(true);
  });

  it("follows a next link naming Vonage's own host through the configured base URL", async () => {
    const first = await client.records(windowQuery('outbound'));
    const onVendorHost = new URL(first.next!);
    onVendorHost.protocol = 'https:';
    onVendorHost.host = 'api.nexmo.com';

    const second = await client.recordsAt(onVendorHost.toString());

    expect(second.records).toHaveLength(1000);
    expect(idsOf(second.records)).not.toContain(first.records[0]!.message_id);
    expect(second.next).not.toBeNull();
  });
});

describe('Vonage asynchronous reports', () => {
  let emulator: VonageEmulator;
  let client: VonageReportsClient;
  let folder: string;
  beforeAll(async () => {
    emulator = await startVonageEmulator({ records: HISTORY, ...GENEROUS });
    client = clientFor(emulator);
    folder = await mkdtemp(join(tmpdir(), 'vonage-report-'));
  });
  afterAll(async () => {
    await emulator.close();
    await rm(folder, { recursive: true, force: true });
  });

  it('creates a report longer than a day, polls it until ready, and downloads every record', async () => {
    const query = windowQuery('outbound', WINDOW_START - DAY_MS, WINDOW_END + DAY_MS);
    const { statuses, downloadUrl } = await finishedReport(client, query);

    expect(statuses).toEqual(['PENDING', 'PROCESSING', 'SUCCESS']);
    const rows = await collect(client.downloadReport(downloadUrl!));
    const expected = HISTORY.filter((r) => r.direction === 'outbound');
    expect(rows).toHaveLength(expected.length);
    expect([...idsOf(rows.map((r) => r.record))].sort()).toEqual(idsOf(expected).sort());
    expect(rows.map((r) => r.line)).toEqual(rows.map((_, i) => i + 2)); // line 1 is the header
    const { message_body: _text, ...withoutText } = expected.find((r) => r.message_id === 'out-00007')!;
    expect(rows.find((r) => r.record.message_id === 'out-00007')!.record).toEqual(withoutText);
  });

  it('imports a saved report both as the zip Vonage delivers and as the CSV inside it', async () => {
    const { downloadUrl } = await finishedReport(client, windowQuery('inbound'));
    const zip = new Uint8Array(await (await fetch(downloadUrl!, { headers: { authorization: basicAuth(emulator) } })).arrayBuffer());
    const entries = unzipSync(zip);
    const today = formatVonageTime(new Date()).slice(0, 10).replaceAll('-', '');
    expect(Object.keys(entries)).toEqual([`report_SMS_${ACCOUNT}_${today}.csv`]);
    const zipPath = join(folder, 'SMS_report.zip');
    const csvPath = join(folder, 'report.csv');
    await writeFile(zipPath, zip);
    await writeFile(csvPath, Object.values(entries)[0]!);

    const fromZip = await collect(readVonageReportFile(zipPath));
    const fromCsv = await collect(readVonageReportFile(csvPath));

    expect([...idsOf(fromZip.map((r) => r.record))].sort()).toEqual(inWindow('inbound'));
    expect(fromCsv).toEqual(fromZip);
  });

  it('gives a record whose message text spans lines the line it starts on', async () => {
    const path = join(folder, 'with-texts.csv');
    const records = [
      { ...sms('inbound', 'in-multi', 1, WINDOW_START), message_body: 'Hello,\nplease call me\nback' },
      sms('inbound', 'in-after', 2, WINDOW_START + 1000),
    ];
    await writeFile(path, stringify(records, { header: true, columns: Object.keys(records[0]!) }));

    const rows = await collect(readVonageReportFile(path));

    expect(rows.map((r) => [r.record.message_id, r.line])).toEqual([['in-multi', 2], ['in-after', 5]]);
  });

  it('refuses a file that is neither a report CSV nor its zip, naming the file', async () => {
    const path = join(folder, 'contacts.csv');
    await writeFile(path, 'name,phone\nAmira,+971501110001\n');

    const refusal = await applicationFailureOf(collect(readVonageReportFile(path)));
    const missing = await applicationFailureOf(collect(readVonageReportFile(join(folder, 'nowhere.zip'))));

    expect(refusal.nonRetryable).toBe(true);
    expect(refusal.message).toContain(path);
    expect(refusal.message).toMatch(/not a Vonage report header: it lacks message_id/);
    expect(refusal.message).not.toContain('971501110001');
    expect(missing.message).toContain('nowhere.zip');
    expect(missing.message).toContain('does not exist');
  });
});

describe('Vonage record mapping', () => {
  const outbound = { ...sms('outbound', 'out-map', 5, WINDOW_START), country: 'gb', status: 'DELIVERED', date_received: '2020-01-01T14:00:00+0000' };
  const inbound = sms('inbound', 'in-map', 6, WINDOW_START);

  it('takes the customer from the far end of the message, as an E.164 candidate, and never keeps the text', () => {
    const sent = vonageRecordToSourceRecord(outbound, 7);
    const received = vonageRecordToSourceRecord(inbound, null);

    expect(sent).toEqual({
      key: 'out-map',
      channel: 'sms',
      phone: `+${customerNumber(5)}`,
      name: null,
      country: 'GB',
      interactionAt: new Date('2020-01-01T14:00:00Z'),
      direction: 'outbound',
      deliveryStatus: 'delivered',
      viberUserId: null,
      fileLine: 7,
      raw: expect.not.objectContaining({ message_body: expect.anything() }),
    });
    expect(sent.raw).toMatchObject({ from: BUSINESS_NUMBER, to: customerNumber(5), client_ref: '' });
    expect(received).toMatchObject({ key: 'in-map', phone: `+${customerNumber(6)}`, direction: 'inbound', deliveryStatus: null, fileLine: null });
    expect(JSON.stringify([sent, received])).not.toContain('Your code is');
  });

  it('leaves an unreadable date, a missing country and a number that is not digits for cleaning to judge', () => {
    const odd = vonageRecordToSourceRecord({ ...inbound, date_received: '28/06/2019 15:30', country: '', from: '07700 900006' }, null);

    expect(odd).toMatchObject({ interactionAt: null, country: null, phone: '07700 900006' });
  });
});

describe('requests the Reports API spec rejects', () => {
  let emulator: VonageEmulator;
  let client: VonageReportsClient;
  beforeAll(async () => {
    emulator = await startVonageEmulator({ records: HISTORY, ...GENEROUS });
    client = clientFor(emulator);
  });
  afterAll(() => emulator.close());

  const valid = {
    account_id: ACCOUNT,
    product: 'SMS',
    direction: 'outbound',
    date_start: '2024-03-01T00:00:00+0000',
    date_end: '2024-03-01T06:00:00+0000',
  };

  it('answers a query without account_id with an RFC 7807 422 naming the parameter', async () => {
    const { account_id: _account, ...withoutAccount } = valid;
    const { status, body } = await rawRecords(emulator, withoutAccount);

    expect(status).toBe(422);
    expect(body).toMatchObject({ type: expect.any(String), title: 'Unprocessable entity', instance: expect.any(String) });
    expect(body.invalid_parameters).toEqual([{ name: 'account_id', reason: 'Missing required parameter' }]);
  });

  it('answers an unknown product, and an id together with dates, with 422', async () => {
    const product = await rawRecords(emulator, { ...valid, product: 'FAX' });
    const idWithDates = await rawRecords(emulator, { ...valid, id: 'out-00001' });

    expect(product.status).toBe(422);
    expect(product.body.invalid_parameters).toEqual([{ name: 'product', reason: expect.stringContaining('Could not resolve product name') }]);
    expect(idWithDates.status).toBe(422);
    expect(idWithDates.body).toMatchObject({ title: 'Invalid filter' });
  });

  it('refuses a sync range over 24 hours for good, with what Vonage said', async () => {
    const failure = await applicationFailureOf(client.records(windowQuery('outbound', WINDOW_START, WINDOW_END + 1000)));

    expect(failure.nonRetryable).toBe(true);
    expect(failure.type).toBe('VonageRejected');
    expect(failure.message).toContain('HTTP 422');
    expect(failure.message).toContain('date_end: Must be no more than 24 hours later than date_start');
  });

  it('refuses bad credentials (401), another account (403) and an unknown report (404) for good', async () => {
    const badSecret = await applicationFailureOf(clientFor(emulator, { apiSecret: 'wrong' }).records(windowQuery('outbound')));
    const otherAccount = await applicationFailureOf(client.records({ ...windowQuery('outbound'), accountId: 'zzzz9999' }));
    const unknownReport = await applicationFailureOf(client.reportStatus('aaaaaaaa-bbbb-cccc-dddd-0123456789ab'));

    expect([badSecret, otherAccount, unknownReport].map((f) => [f.nonRetryable, f.message.slice(0, 29)])).toEqual([
      [true, 'Vonage answered HTTP 401: Una'],
      [true, 'Vonage answered HTTP 403: For'],
      [true, 'Vonage answered HTTP 404: Inv'],
    ]);
  });
});

describe('Vonage rate limits', () => {
  let emulator: VonageEmulator;
  let client: VonageReportsClient;
  beforeAll(async () => {
    emulator = await startVonageEmulator({ records: HISTORY });
    client = clientFor(emulator);
  });
  afterAll(() => emulator.close());

  it('answers 429 beyond 10 sync requests a second, as a retryable failure, and serves again a second later', async () => {
    const burst = await Promise.allSettled(Array.from({ length: 12 }, () => client.records(windowQuery('inbound'))));

    expect(burst.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    const throttled = burst.flatMap((r) => (r.status === 'rejected' ? [r.reason as ApplicationFailure] : []));
    expect(throttled.map((f) => [f.type, f.nonRetryable, f.message.slice(0, 28)])).toEqual([
      ['VonageUnavailable', false, 'Vonage answered HTTP 429: To'],
      ['VonageUnavailable', false, 'Vonage answered HTTP 429: To'],
    ]);
    expect(emulator.maxRequestsPerSecond('sync')).toBe(12);

    await sleep(1100);
    const next = await Promise.allSettled(Array.from({ length: 10 }, () => client.records(windowQuery('inbound'))));
    expect(next.every((r) => r.status === 'fulfilled')).toBe(true);
  });

  it('answers 429 beyond 5 async requests a second', async () => {
    const burst = await Promise.allSettled(Array.from({ length: 7 }, () => client.createReport(windowQuery('inbound'))));

    expect(burst.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    expect(emulator.maxRequestsPerSecond('async')).toBe(7);
    expect(emulator.requests().filter((r) => r.path === '/v2/reports' && r.status === 429)).toHaveLength(2);
  });
});

describe('Vonage page cursors', () => {
  let emulator: VonageEmulator;
  let client: VonageReportsClient;
  beforeAll(async () => {
    emulator = await startVonageEmulator({ records: HISTORY, pageSize: 100, ...GENEROUS, faults: { cursorTtlMs: 300 } });
    client = clientFor(emulator);
  });
  afterAll(() => emulator.close());

  it('raises VonageCursorExpired for a cursor Vonage no longer honours, and the window reads again from its start', async () => {
    const first = await client.records(windowQuery('inbound'));
    expect((await client.recordsAt(first.next!)).records).toHaveLength(100);

    await sleep(400);
    const error = await rejectionOf(client.recordsAt(first.next!));

    expect(error).toBeInstanceOf(VonageCursorExpired);
    expect(idsOf((await client.records(windowQuery('inbound'))).records)).toEqual(idsOf(first.records));
  });

  it('refuses a cursor whose iv does not match it as a bad request, not as an expiry', async () => {
    const { next } = await client.records(windowQuery('outbound'));
    const forged = new URL(next!);
    forged.searchParams.set('iv', Buffer.alloc(16, 7).toString('base64url'));

    const failure = await applicationFailureOf(client.recordsAt(forged.toString()));

    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('cursor: Invalid cursor');
  });
});

describe('Vonage faults', () => {
  const started: VonageEmulator[] = [];
  const faulty = async (faults: VonageEmulatorOptions['faults']) => {
    const emulator = await startVonageEmulator({ records: HISTORY, ...GENEROUS, faults });
    started.push(emulator);
    return emulator;
  };
  afterAll(() => Promise.all(started.map((e) => e.close())));

  it('turns injected server errors and throttling into retryable failures', async () => {
    const serverError = await applicationFailureOf(clientFor(await faulty({ serverErrorRate: 1 })).records(windowQuery('outbound')));
    const throttled = await applicationFailureOf(clientFor(await faulty({ throttleRate: 1 })).createReport(windowQuery('outbound')));

    expect(serverError).toMatchObject({ type: 'VonageUnavailable', nonRetryable: false });
    expect(serverError.message).toMatch(/^Vonage answered HTTP 50[03]/);
    expect(throttled).toMatchObject({ type: 'VonageUnavailable', nonRetryable: false, nextRetryDelay: 1000 });
  });

  it('gives up on an answer that takes longer than the timeout, retryably', async () => {
    const emulator = await faulty({ timeoutRate: 1, hangMs: 10_000 });
    const started = performance.now();

    const failure = await applicationFailureOf(clientFor(emulator, { timeoutMs: 200 }).records(windowQuery('outbound')));

    expect(failure).toMatchObject({ type: 'VonageUnavailable', nonRetryable: false });
    expect(failure.message).toContain('no answer within 200 ms');
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('injects the same faults for the same seed', async () => {
    const statuses = async (emulator: VonageEmulator) => {
      for (let i = 0; i < 12; i++) await rawRecords(emulator, { account_id: ACCOUNT, product: 'SMS', direction: 'inbound', id: 'in-00001' });
      return emulator.requests().map((r) => r.status);
    };
    const first = await statuses(await faulty({ serverErrorRate: 0.3, throttleRate: 0.2, seed: 42 }));
    const second = await statuses(await faulty({ serverErrorRate: 0.3, throttleRate: 0.2, seed: 42 }));

    expect(second).toEqual(first);
    expect(first).toContain(200);
    expect(first.some((s) => s !== 200)).toBe(true);
  });
});
