import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fetch from 'node-fetch';
import { ApplicationFailure } from '@temporalio/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { CONTACTS_PER_CHECK, createContactsCheckClient } from './contacts-check-client.ts';
import type { ContactsCheckClient } from './contacts-check-client.ts';
import { startContactsCheckEmulator } from './contacts-check-emulator.ts';
import type { ContactsCheckEmulator } from './contacts-check-emulator.ts';
import { rejectionOf } from '../../test/support/rejections.ts';

/** Distinct UAE mobile numbers, `first` onwards. */
function numbers(count: number, first = 0): string[] {
  return Array.from({ length: count }, (_, i) => `+97150${String(first + i).padStart(7, '0')}`);
}

async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

describe('WhatsApp contacts check', () => {
  let emulator: ContactsCheckEmulator;
  let client: ContactsCheckClient;

  beforeAll(async () => {
    emulator = await startContactsCheckEmulator();
    client = createContactsCheckClient({ baseUrl: emulator.url, token: emulator.token });
  });
  afterAll(() => emulator.close());

  it('answers each number as the ground truth says, with its WhatsApp id when valid', async () => {
    const asked = numbers(CONTACTS_PER_CHECK);
    const results = await client.check(asked);

    expect(results.map((r) => r.input)).toEqual(asked);
    for (const result of results) {
      if (emulator.isOnWhatsApp(result.input)) expect(result).toEqual({ input: result.input, status: 'valid', waId: result.input.slice(1) });
      else expect(result).toEqual({ input: result.input, status: 'invalid' });
    }
    const valid = results.filter((r) => r.status === 'valid').length;
    expect(valid / asked.length).toBeGreaterThan(0.7);
    expect(valid / asked.length).toBeLessThan(0.9);
  });

  it('answers a number that is not E.164 as invalid', async () => {
    expect(await client.check(['0501234567'])).toEqual([{ input: '0501234567', status: 'invalid' }]);
  });

  it('counts every answered check per number', async () => {
    const [a, b] = numbers(2, 20_000);
    await client.check([a!, b!]);
    await client.check([a!]);

    expect(emulator.checksPerNumber().get(a!)).toBe(2);
    expect(emulator.checksPerNumber().get(b!)).toBe(1);
  });

  it('fails for good on a wrong token, since retrying cannot fix it', async () => {
    const intruder = createContactsCheckClient({ baseUrl: emulator.url, token: 'stolen' });
    const failure = await rejectionOf(intruder.check(numbers(1, 30_000)));

    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).nonRetryable).toBe(true);
    expect((failure as ApplicationFailure).message).toContain('1005');
  });

  it(`refuses more than ${CONTACTS_PER_CHECK} numbers before asking`, async () => {
    const tooMany = numbers(CONTACTS_PER_CHECK + 1, 40_000);
    await expect(client.check(tooMany)).rejects.toThrow(String(CONTACTS_PER_CHECK));
    expect(emulator.checksPerNumber().has(tooMany[0]!)).toBe(false);
  });

  it('refuses what the vendor refuses', async () => {
    const post = (body: unknown, path = '/v1/contacts') =>
      fetch(`${emulator.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${emulator.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const errorCode = async (body: unknown) => ((await (await post(body)).json()) as { errors: { code: number }[] }).errors[0]?.code;

    expect(await errorCode({ blocking: 'wait', contacts: numbers(CONTACTS_PER_CHECK + 1, 50_000) })).toBe(1009);
    expect(await errorCode({ blocking: 'wait', contacts: [] })).toBe(1009);
    expect(await errorCode({ blocking: 'wait', contacts: [971501234567] })).toBe(1009);
    expect(await errorCode({ blocking: 'sometimes', contacts: numbers(1, 50_000) })).toBe(1009);
    expect(await errorCode({ blocking: 'wait' })).toBe(1008);
    expect((await post({ contacts: numbers(1, 50_000) }, '/v1/contact')).status).toBe(404);
    expect(emulator.checksPerNumber().has(numbers(1, 50_000)[0]!)).toBe(false);
  });

  it('holds checks until released, and does not count one whose client went away meanwhile', async () => {
    const [abandonedNumber, keptNumber] = numbers(2, 60_000);
    emulator.hold();
    const abort = new AbortController();
    const abandoned = fetch(`${emulator.url}/v1/contacts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${emulator.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ blocking: 'wait', contacts: [abandonedNumber], force_check: false }),
      signal: abort.signal,
    }).catch((error: unknown) => error);
    const kept = client.check([keptNumber!]);
    await until(() => emulator.heldRequests() === 2);

    abort.abort();
    await abandoned;
    await until(() => emulator.heldRequests() === 1);
    emulator.release();

    expect(await kept).toHaveLength(1);
    expect(emulator.heldRequests()).toBe(0);
    expect(emulator.checksPerNumber().get(keptNumber!)).toBe(1);
    expect(emulator.checksPerNumber().has(abandonedNumber!)).toBe(false);
  });
});
