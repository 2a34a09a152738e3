import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/common';
import { startPlivoEmulator } from './emulator.ts';
import type { PlivoEmulator, PlivoEmulatorOptions } from './emulator.ts';
import { plivoMessageToSourceRecord } from './message-mapping.ts';
import { createPlivoMessagesClient, PLIVO_PAGE_LIMIT } from './messages-client.ts';
import type { MessagesQuery, PlivoMessage, PlivoMessagesClient } from './messages-client.ts';
import { parseMessageTime } from './plivo-time.ts';
import { applicationFailureOf } from '../../test/support/rejections.ts';

const NOW = new Date('2025-06-15T12:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const GENEROUS = { requests: 1000, intervalMs: 60_000 };

let nextId = 0;

function message(messageTime: string, overrides: Partial<PlivoMessage> = {}): PlivoMessage {
  nextId++;
  return {
    message_uuid: `00000000-0000-4000-8000-${String(nextId).padStart(12, '0')}`,
    message_time: messageTime,
    message_direction: 'outbound',
    message_state: 'delivered',
    message_type: 'sms',
    from_number: '14155550100',
    to_number: `9715011${String(nextId).padStart(5, '0')}`,
    units: 1,
    total_rate: '0.00500',
    total_amount: '0.00500',
    error_code: '000',
    ...overrides,
  };
}

/** A message time `ms` before NOW, as Plivo writes it (UTC, microseconds). */
function before(ms: number): string {
  return new Date(NOW.getTime() - ms).toISOString().replace('T', ' ').replace('Z', '000+00:00');
}

async function plivo(options: Partial<PlivoEmulatorOptions> = {}): Promise<{ emulator: PlivoEmulator; client: PlivoMessagesClient }> {
  const emulator = await startPlivoEmulator({ messages: [], now: () => NOW, rateLimit: GENEROUS, ...options });
  const client = createPlivoMessagesClient({ baseUrl: emulator.url, authId: emulator.authId, authToken: emulator.authToken });
  return { emulator, client };
}

/** Every message of a window, read page by page as an extraction would. */
async function readWindow(client: PlivoMessagesClient, window: Omit<MessagesQuery, 'offset'>): Promise<PlivoMessage[]> {
  const messages: PlivoMessage[] = [];
  for (let offset = 0; ; offset += PLIVO_PAGE_LIMIT) {
    const page = await client.listMessages({ ...window, offset });
    messages.push(...page.messages);
    if (!page.hasMore) return messages;
  }
}

/** A raw list request, to see what Plivo answers to requests the client never makes. */
async function listRaw(emulator: PlivoEmulator, query: string, credentials = `${emulator.authId}:${emulator.authToken}`, accountId = emulator.authId) {
  const response = await fetch(`${emulator.url}/v1/Account/${accountId}/Message/?${query}`, {
    headers: { authorization: `Basic ${Buffer.from(credentials).toString('base64')}` },
  });
  return { status: response.status, body: (await response.json()) as { api_id?: string; error?: string; meta?: { total_count: number }; objects?: PlivoMessage[] } };
}

describe('Plivo message list', () => {
  const window = { timeFrom: new Date('2025-06-10T00:00:00Z'), timeUntil: new Date('2025-06-11T00:00:00Z') };
  // 57 messages, three pages; pairs share a second, so the order must break ties the same way on every page.
  const inWindow = Array.from({ length: 57 }, (_, i) => {
    const slot = Math.floor(i / 2);
    return message(`2025-06-10 ${String(slot % 24).padStart(2, '0')}:${String(slot).padStart(2, '0')}:00`);
  });
  const atStart = message('2025-06-10 00:00:00');
  const justBeforeEnd = message('2025-06-10 23:59:59.999999');
  // 2025-06-10 05:00 in Dubai is 01:00 UTC: inside. 2025-06-10 03:00 in Mumbai is 21:30 UTC the day before: outside.
  const inWindowByOffset = message('2025-06-10 05:00:00+04:00');
  const outsideByOffset = message('2025-06-10 03:00:00+05:30');
  const justBeforeStart = message('2025-06-09 23:59:59.999999');
  const atEnd = message('2025-06-11 00:00:00');
  const expected = [...inWindow, atStart, justBeforeEnd, inWindowByOffset];
  let emulator: PlivoEmulator;
  let client: PlivoMessagesClient;

  beforeAll(async () => {
    ({ emulator, client } = await plivo({ messages: [...expected, outsideByOffset, justBeforeStart, atEnd].reverse() }));
  });
  afterAll(() => emulator.close());

  it('pages through a window by offset and returns every message in it exactly once', async () => {
    const requestsBefore = emulator.requests().length;
    const first = await client.listMessages({ ...window, offset: 0 });
    const messages = await readWindow(client, window);

    expect(first).toMatchObject({ totalCount: expected.length, hasMore: true });
    expect(first.messages).toHaveLength(PLIVO_PAGE_LIMIT);
    expect(messages.map((m) => m.message_uuid).sort()).toEqual(expected.map((m) => m.message_uuid).sort());
    expect(new Set(messages.map((m) => m.message_uuid)).size).toBe(messages.length);
    expect(emulator.requests().slice(requestsBefore).map((r) => r.offset)).toEqual([0, 0, 20, 40]);
  });

  it('includes a message at timeFrom and leaves out one at timeUntil, to the microsecond', async () => {
    const uuids = new Set((await readWindow(client, window)).map((m) => m.message_uuid));

    expect(uuids.has(atStart.message_uuid)).toBe(true);
    expect(uuids.has(justBeforeEnd.message_uuid)).toBe(true);
    expect(uuids.has(justBeforeStart.message_uuid)).toBe(false);
    expect(uuids.has(atEnd.message_uuid)).toBe(false);
  });

  it('lists newest first with relative links to the next and previous pages', async () => {
    const { status, body } = await listRaw(emulator, 'limit=20&offset=20&message_time__gte=2025-06-10%2000:00&message_time__lt=2025-06-11%2000:00');
    const order = body.objects!.map((m) => [parseMessageTime(m.message_time)!, m.message_uuid] as const);

    expect(status).toBe(200);
    expect(body).toMatchObject({
      api_id: expect.any(String),
      meta: {
        limit: 20,
        offset: 20,
        total_count: expected.length,
        next: expect.stringMatching(new RegExp(`^/v1/Account/${emulator.authId}/Message/\\?limit=20&offset=40&message_time__gte=`)),
        previous: expect.stringMatching(/\?limit=20&offset=0&/),
      },
    });
    expect(body.objects).toHaveLength(20);
    // Newest first; messages of the same microsecond by uuid.
    expect([...order].sort(([t1, u1], [t2, u2]) => t2 - t1 || u1.localeCompare(u2))).toEqual(order);
  });
});

describe('Plivo history limits', () => {
  it('lists only the last 24 hours when no time filter is given', async () => {
    const recent = message(before(HOUR));
    const almostADayAgo = message(before(DAY - 60_000));
    const older = message(before(DAY + 60_000));
    const { emulator } = await plivo({ messages: [recent, almostADayAgo, older] });
    try {
      const { status, body } = await listRaw(emulator, '');

      expect(status).toBe(200);
      expect(body.meta?.total_count).toBe(2);
      expect(body.objects?.map((m) => m.message_uuid)).toEqual([recent.message_uuid, almostADayAgo.message_uuid]);
    } finally {
      await emulator.close();
    }
  });

  it('keeps 90 days: an older message is not listed even when asked for', async () => {
    const kept = message(before(89 * DAY));
    const expired = message(before(91 * DAY));
    const { emulator, client } = await plivo({ messages: [kept, expired] });
    try {
      const messages = await readWindow(client, { timeFrom: new Date(NOW.getTime() - 100 * DAY), timeUntil: NOW });

      expect(messages.map((m) => m.message_uuid)).toEqual([kept.message_uuid]);
    } finally {
      await emulator.close();
    }
  });
});

describe('Plivo request validation', () => {
  let emulator: PlivoEmulator;
  beforeAll(async () => {
    ({ emulator } = await plivo({ messages: [message(before(HOUR))] }));
  });
  afterAll(() => emulator.close());

  it.each([
    ['limit=21', /^limit: must be an integer from 1 to 20/],
    ['limit=0', /^limit:/],
    ['offset=-1', /^offset: must be a non-negative integer/],
    ['offset=2.5', /^offset:/],
    ['message_time__gte=2025-06-10T00:00:00Z', /^message_time__gte: expected YYYY-MM-DD HH:MM\[:ss\[\.uuuuuu\]\] \(UTC\)/],
    ['message_time__lt=2025-02-30%2010:00', /^message_time__lt:/],
    ['message_direction=sideways', /^message_direction: must be one of inbound, outbound/],
  ])('refuses %s with Plivo\'s error body naming the parameter', async (query, error) => {
    const { status, body } = await listRaw(emulator, query);

    expect(status).toBe(400);
    expect(body).toEqual({ api_id: expect.any(String), error: expect.stringMatching(error) });
  });

  it('refuses bad credentials for good', async () => {
    const intruder = createPlivoMessagesClient({ baseUrl: emulator.url, authId: emulator.authId, authToken: 'wrong-token' });
    const failure = await applicationFailureOf(intruder.listMessages({ timeFrom: new Date(NOW.getTime() - DAY), timeUntil: NOW, offset: 0 }));

    expect(failure.nonRetryable).toBe(true);
    expect(failure.type).toBe('PlivoRejected');
    expect(failure.message).toContain('HTTP 401');
    expect(failure.message).toContain('authentication failed');
  });

  it("refuses another account's path even with valid credentials", async () => {
    const { status, body } = await listRaw(emulator, '', undefined, 'MAOTHERACCOUNT000001');

    expect(status).toBe(401);
    expect(body.error).toMatch(/^authentication failed/);
  });

  it('refuses an impossible query before sending it', async () => {
    const client = createPlivoMessagesClient({ baseUrl: emulator.url, authId: emulator.authId, authToken: emulator.authToken });
    const requestsBefore = emulator.requests().length;
    const failure = await applicationFailureOf(client.listMessages({ timeFrom: NOW, timeUntil: new Date(NOW.getTime() - DAY), offset: 0 }));

    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/^timeFrom .* is after timeUntil/);
    expect(emulator.requests()).toHaveLength(requestsBefore);
  });

  it('will not start with a history message whose time Plivo could not have written', async () => {
    await expect(startPlivoEmulator({ messages: [message(before(HOUR)), message('yesterday')] })).rejects.toThrow(/messages\[1\]\.message_time/);
  });
});

describe('Plivo rate limit', () => {
  it('answers the 21st request within the window with 429, a retryable failure', async () => {
    const rateLimit = { requests: 20, intervalMs: 500 };
    const { emulator, client } = await plivo({ messages: [message(before(HOUR))], rateLimit });
    const query = { timeFrom: new Date(NOW.getTime() - DAY), timeUntil: NOW, offset: 0 };
    try {
      const outcomes = await Promise.allSettled(Array.from({ length: 21 }, () => client.listMessages(query)));
      const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as ApplicationFailure] : []));

      expect(refused).toHaveLength(1);
      expect(refused[0]).toBeInstanceOf(ApplicationFailure);
      expect(refused[0]!.nonRetryable).toBe(false);
      expect(refused[0]!.type).toBe('PlivoUnavailable');
      expect(refused[0]!.message).toContain('HTTP 429');
      expect(refused[0]!.message).toContain('too many requests');
      expect(emulator.maxRequestsInAnyWindow()).toBe(21);

      await sleep(rateLimit.intervalMs + 50);
      await expect(client.listMessages(query)).resolves.toMatchObject({ totalCount: 1 });
      expect(emulator.requests().map((r) => r.status).filter((s) => s === 429)).toHaveLength(1);
    } finally {
      await emulator.close();
    }
  });
});

describe('Plivo faults', () => {
  const query = { timeFrom: new Date(NOW.getTime() - DAY), timeUntil: NOW, offset: 0 };

  it.each([
    [{ serverErrorRate: 1 }, /HTTP 50[03]/],
    [{ throttleRate: 1 }, /HTTP 429/],
  ])('turns injected %o into a retryable failure', async (faults, status) => {
    const { emulator, client } = await plivo({ messages: [message(before(HOUR))], faults });
    try {
      const failure = await applicationFailureOf(client.listMessages(query));

      expect(failure.nonRetryable).toBe(false);
      expect(failure.type).toBe('PlivoUnavailable');
      expect(failure.message).toMatch(status);
    } finally {
      await emulator.close();
    }
  });

  it('turns an answer held past the timeout into a retryable failure', async () => {
    const emulator = await startPlivoEmulator({ messages: [], now: () => NOW, faults: { timeoutRate: 1, hangMs: 10_000 } });
    const client = createPlivoMessagesClient({ baseUrl: emulator.url, authId: emulator.authId, authToken: emulator.authToken, timeoutMs: 200 });
    try {
      const started = performance.now();
      const failure = await applicationFailureOf(client.listMessages(query));

      expect(failure.nonRetryable).toBe(false);
      expect(failure.type).toBe('PlivoUnavailable');
      expect(failure.message).toContain('within 200 ms');
      expect(performance.now() - started).toBeLessThan(2000);
    } finally {
      await emulator.close();
    }
  });

  it('injects the same faults for the same seed', async () => {
    const statuses = async (): Promise<number[]> => {
      const { emulator, client } = await plivo({ faults: { serverErrorRate: 0.3, throttleRate: 0.2, seed: 7 } });
      try {
        for (let i = 0; i < 12; i++) await client.listMessages(query).catch(() => undefined);
        return emulator.requests().map((r) => r.status);
      } finally {
        await emulator.close();
      }
    };
    const first = await statuses();

    expect(await statuses()).toEqual(first);
    expect(first).toContain(200);
    expect(first.some((s) => s !== 200)).toBe(true);
  });

  it('slows every answer by slowPageMs', async () => {
    const { emulator, client } = await plivo({ faults: { slowPageMs: 150 } });
    try {
      const started = performance.now();
      await client.listMessages(query);

      expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    } finally {
      await emulator.close();
    }
  });
});

describe('Plivo message mapping', () => {
  it("takes the sender of an inbound message as the customer, as an E.164 candidate", () => {
    const inbound = message('2017-05-22 21:36:14+05:30', {
      message_direction: 'inbound',
      message_state: 'received',
      from_number: '971501234567',
      to_number: '14155550100',
    });

    expect(plivoMessageToSourceRecord(inbound)).toEqual({
      key: inbound.message_uuid,
      channel: 'sms',
      phone: '+971501234567',
      name: null,
      country: null,
      interactionAt: new Date('2017-05-22T16:06:14Z'),
      direction: 'inbound',
      deliveryStatus: null,
      viberUserId: null,
      fileLine: null,
      raw: inbound,
    });
  });

  it('takes the recipient of an outbound message as the customer, with its delivery state', () => {
    const outbound = message('2025-06-10 08:00:00.250000', { from_number: 'ACME', to_number: '447700900123', message_state: 'undelivered' });
    const record = plivoMessageToSourceRecord(outbound);

    expect(record).toMatchObject({ phone: '+447700900123', direction: 'outbound', deliveryStatus: 'undelivered' });
    expect(record.interactionAt).toEqual(new Date('2025-06-10T08:00:00.250Z'));
  });

  it("names the customer's country when an outbound record gives the destination's", () => {
    const outbound = message('2025-06-10 08:00:00', { destination_country_iso2: 'gb' });
    const inbound = message('2025-06-10 08:00:00', { message_direction: 'inbound', destination_country_iso2: 'US' });

    expect(plivoMessageToSourceRecord(outbound).country).toBe('GB');
    expect(plivoMessageToSourceRecord(inbound).country).toBeNull();
  });

  it('keeps a sender name as written, reads an unparseable time as unknown and leaves message text out', () => {
    const odd = message('sometime last week', { message_direction: 'inbound', from_number: 'BANK-ALERTS', text: 'YES please' });
    const record = plivoMessageToSourceRecord(odd);

    expect(record.phone).toBe('BANK-ALERTS');
    expect(record.interactionAt).toBeNull();
    expect(record.raw).not.toHaveProperty('text');
    expect(record.raw).toMatchObject({ message_uuid: odd.message_uuid, message_time: 'sometime last week' });
  });
});
