import { createServer } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryReceipt, InboundEvents, InboundMessage } from '../../activities/opt-in/inbound-events.ts';
import { applicationFailureOf } from '../../test/support/rejections.ts';
import type { CarrierAnswer } from '../carrier-lookup.ts';
import { emulatedCustomers, type CustomerScript } from '../emulated-customers.ts';
import { listenOnLoopback, type LoopbackServer } from '../loopback-server.ts';
import { startVonageMessagingEmulator, type VonageMessagingEmulator, type VonageMessagingEmulatorOptions } from './messaging-emulator.ts';
import { createVonageNumberInsightClient } from './number-insight-client.ts';
import { createVonageSmsClient, type VonageSmsClient } from './sms-client.ts';
import { signVonageParams, type VonageSignatureMethod } from './webhook-signature.ts';
import { vonageDeliveryReceiptRoute, vonageInboundSmsRoute } from './webhook-routes.ts';

const SIGNATURE_SECRET = 'test-signature-secret-abcdefghijklmnop';
const BUSINESS_NUMBER = '447700900500';
const MOVE_NOTICE = "We're moving to WhatsApp! Reply YES to join";
const ARABIC_NOTICE = 'سننتقل إلى واتساب! أرسل نعم للانضمام';
const LONG_ARABIC_REPLY = 'نعم، أوافق على الانتقال إلى واتساب، وأرجو إرسال الرسائل القادمة هناك بدلاً من الرسائل النصية القصيرة. شكراً لكم';

/** InboundEvents that keeps what it is given, and can be told to fail the next calls. */
class RecordingEvents implements InboundEvents {
  readonly messages: InboundMessage[] = [];
  readonly receipts: DeliveryReceipt[] = [];
  failures = 0;

  async message(event: InboundMessage): Promise<void> {
    this.#maybeFail();
    this.messages.push(event);
  }

  async receipt(event: DeliveryReceipt): Promise<void> {
    this.#maybeFail();
    this.receipts.push(event);
  }

  async whatsAppStatus(): Promise<void> {
    throw new Error('Vonage sends no WhatsApp statuses');
  }

  clear(): void {
    this.messages.length = 0;
    this.receipts.length = 0;
    this.failures = 0;
  }

  #maybeFail(): void {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('database unavailable');
    }
  }
}

const events = new RecordingEvents();
let routes: LoopbackServer;
const emulators: VonageMessagingEmulator[] = [];

beforeAll(async () => {
  const signed = { signatureSecret: SIGNATURE_SECRET, events };
  const handlers = new Map([
    ['/vonage/inbound', vonageInboundSmsRoute({ ...signed, signatureMethod: 'sha256' })],
    ['/vonage/receipts', vonageDeliveryReceiptRoute({ ...signed, signatureMethod: 'sha256' })],
    ['/vonage-md5/inbound', vonageInboundSmsRoute({ ...signed, signatureMethod: 'md5hash' })],
  ]);
  routes = await listenOnLoopback(
    createServer((request, response) => {
      const handler = handlers.get(new URL(request.url ?? '/', 'http://route').pathname);
      if (handler === undefined) return void response.writeHead(404).end();
      void handler(request, response);
    }),
  );
});

afterEach(async () => {
  await Promise.all(emulators.splice(0).map((emulator) => emulator.close()));
  events.clear();
});

afterAll(() => routes.close());

async function emulator(scripts: Record<string, CustomerScript> = {}, options: Partial<VonageMessagingEmulatorOptions> = {}): Promise<VonageMessagingEmulator> {
  const started = await startVonageMessagingEmulator({
    signatureSecret: SIGNATURE_SECRET,
    customers: emulatedCustomers(new Map(Object.entries(scripts))),
    ...options,
  });
  started.useWebhooks({ inbound: `${routes.url}/vonage/inbound`, deliveryReceipt: `${routes.url}/vonage/receipts` });
  emulators.push(started);
  return started;
}

function smsClient(vonage: VonageMessagingEmulator, overrides: { apiSecret?: string; rate?: { requests: number; intervalMs: number } } = {}): VonageSmsClient {
  return createVonageSmsClient({ baseUrl: vonage.url, apiKey: vonage.apiKey, apiSecret: vonage.apiSecret, ...overrides });
}

const answers = (...texts: string[]): CustomerScript => ({ answers: texts.map((text) => ({ text, delayMs: 20 })), onWhatsApp: true });

/** Posts webhook fields to a route as Vonage would, signed unless told otherwise. */
async function postWebhook(
  path: string,
  fields: Record<string, string>,
  signing: { secret?: string; method?: VonageSignatureMethod; ageMs?: number; sign?: boolean; afterSigning?: Record<string, string> } = {},
): Promise<number> {
  const params: Record<string, string> = { ...fields, timestamp: String(Math.floor((Date.now() - (signing.ageMs ?? 0)) / 1000)), nonce: crypto.randomUUID() };
  if (signing.sign !== false) params.sig = signVonageParams(params, signing.secret ?? SIGNATURE_SECRET, signing.method ?? 'sha256');
  const response = await fetch(`${routes.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...params, ...signing.afterSigning }).toString(),
  });
  return response.status;
}

const inboundFields = (messageId: string, text: string) => ({
  msisdn: '447700900111',
  to: BUSINESS_NUMBER,
  messageId,
  text,
  type: 'text',
  keyword: text.split(' ')[0]!.toUpperCase(),
  'message-timestamp': '2025-05-04 10:20:30',
});

describe('Vonage SMS through the emulator to the webhook routes', () => {
  it('delivers the notice, then hands its receipt and the customer reply to InboundEvents', async () => {
    const vonage = await emulator({ '+447700900001': answers('YES') });
    const before = Date.now();
    const { messageId } = await smsClient(vonage).send({ from: BUSINESS_NUMBER, to: '+447700900001', text: MOVE_NOTICE, clientRef: 'optin-1' });
    await vonage.settled();

    expect(vonage.sentMessages()).toEqual([
      { messageId, to: '+447700900001', from: BUSINESS_NUMBER, text: MOVE_NOTICE, clientRef: 'optin-1', at: expect.any(Number) },
    ]);
    expect(events.receipts).toEqual([
      { provider: 'vonage', providerMessageId: messageId, reference: 'optin-1', recipient: '+447700900001', status: 'delivered', at: expect.any(Date) },
    ]);
    expect(events.messages).toEqual([
      { provider: 'vonage', providerMessageId: expect.any(String), channel: 'sms', from: '+447700900001', text: 'YES', at: expect.any(Date) },
    ]);
    // message-timestamp has whole seconds.
    expect(events.messages[0]!.at.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(events.messages[0]!.at.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('keeps Arabic intact both ways, a long reply recorded once as the parts joined', async () => {
    const vonage = await emulator({ '+971501234567': answers('نعم'), '+971501234568': answers(LONG_ARABIC_REPLY) });
    const client = smsClient(vonage);
    await client.send({ from: BUSINESS_NUMBER, to: '+971501234567', text: ARABIC_NOTICE, clientRef: 'optin-ar-1' });
    await client.send({ from: BUSINESS_NUMBER, to: '+971501234568', text: ARABIC_NOTICE, clientRef: 'optin-ar-2' });
    await vonage.settled();

    expect(vonage.sentMessages().map((sms) => sms.text)).toEqual([ARABIC_NOTICE, ARABIC_NOTICE]);
    const replies = new Map(events.messages.map((message) => [message.from, message.text]));
    expect(replies).toEqual(new Map([['+971501234567', 'نعم'], ['+971501234568', LONG_ARABIC_REPLY]]));
    // The long reply came as two inbound SMS, and only the joined text was recorded.
    expect(vonage.webhookDeliveries().filter((delivery) => delivery.kind === 'inbound')).toHaveLength(3);
  });

  it('splits a long notice into parts, each with a receipt carrying our reference', async () => {
    const vonage = await emulator();
    const longNotice = `${MOVE_NOTICE}. `.repeat(5);
    const { messageId } = await smsClient(vonage).send({ from: BUSINESS_NUMBER, to: '+447700900002', text: longNotice, clientRef: 'optin-long' });
    await vonage.settled();

    expect(events.receipts).toHaveLength(2);
    expect(events.receipts.map((receipt) => receipt.reference)).toEqual(['optin-long', 'optin-long']);
    expect(events.receipts.map((receipt) => receipt.providerMessageId)).toContain(messageId);
  });

  it('reports a number that does not exist as failed, and its owner never answers', async () => {
    const vonage = await emulator({ '+447700900003': answers('YES') }, { lineTypes: () => 'invalid' });
    await smsClient(vonage).send({ from: BUSINESS_NUMBER, to: '+447700900003', text: MOVE_NOTICE, clientRef: 'optin-3' });
    await vonage.settled();

    expect(events.receipts.map((receipt) => receipt.status)).toEqual(['failed']);
    expect(events.messages).toEqual([]);
  });

  it('records a webhook on a later try when InboundEvents failed the first', async () => {
    const vonage = await emulator({ '+447700900004': answers('YES') });
    events.failures = 2;
    await smsClient(vonage).send({ from: BUSINESS_NUMBER, to: '+447700900004', text: MOVE_NOTICE, clientRef: 'optin-4' });
    await vonage.settled();

    expect(events.receipts).toHaveLength(1);
    expect(events.messages).toHaveLength(1);
    expect(vonage.webhookDeliveries().map((delivery) => delivery.status)).toEqual([204, 204]);
    expect(vonage.webhookDeliveries().reduce((sum, delivery) => sum + delivery.attempts, 0)).toBe(4);
  });
});

describe('Vonage SMS failures', () => {
  it('answers a send beyond the account throughput as retryable, after about a second', async () => {
    const vonage = await emulator({}, { smsRate: { requests: 2, intervalMs: 1000 } });
    const client = smsClient(vonage);
    const sends = [1, 2, 3].map((n) => client.send({ from: BUSINESS_NUMBER, to: `+44770090010${n}`, text: MOVE_NOTICE, clientRef: `throttle-${n}` }));
    const outcomes = await Promise.allSettled(sends);

    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(2);
    const failure = await applicationFailureOf(sends[outcomes.findIndex((outcome) => outcome.status === 'rejected')]!);
    expect(failure.type).toBe('VonageUnavailable');
    expect(failure.nonRetryable).toBe(false);
    expect(failure.nextRetryDelay).toBe(1000);
    expect(vonage.sentMessages()).toHaveLength(2);
  });

  it('keeps a busy client within the rate it is given', async () => {
    const rate = { requests: 5, intervalMs: 500 };
    const vonage = await emulator({}, { smsRate: rate });
    const client = smsClient(vonage, { rate });
    const sends = Array.from({ length: 12 }, (_, n) =>
      client.send({ from: BUSINESS_NUMBER, to: `+4477009002${String(n).padStart(2, '0')}`, text: MOVE_NOTICE, clientRef: `paced-${n}` }),
    );
    await Promise.all(sends);

    expect(vonage.sentMessages()).toHaveLength(12);
    expect(vonage.maxSendsInAnyWindow(rate.intervalMs)).toBeLessThanOrEqual(rate.requests);
  });

  it('fails for good on wrong credentials, naming Vonage status and text but not the number', async () => {
    const vonage = await emulator();
    const failure = await applicationFailureOf(
      smsClient(vonage, { apiSecret: 'wrong-secret' }).send({ from: BUSINESS_NUMBER, to: '+447700900005', text: MOVE_NOTICE, clientRef: 'optin-5' }),
    );
    expect(failure.type).toBe('VonageRejected');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('status 4');
    expect(failure.message).toContain('Bad Credentials');
    expect(failure.message).not.toContain('447700900005');
    expect(vonage.sentMessages()).toEqual([]);
  });

  it('refuses a number that is not E.164 before asking Vonage', async () => {
    const vonage = await emulator();
    const failure = await applicationFailureOf(smsClient(vonage).send({ from: BUSINESS_NUMBER, to: '07700900006', text: MOVE_NOTICE, clientRef: 'optin-6' }));
    expect(failure.nonRetryable).toBe(true);
    expect(vonage.maxSendsInAnyWindow(60_000)).toBe(0);
  });
});

describe('Vonage webhook signatures', () => {
  it('records a correctly signed inbound SMS, by POST form or by GET query, under any signature method', async () => {
    expect(await postWebhook('/vonage/inbound', inboundFields('SIGNED0001', 'YES'))).toBe(204);
    const params: Record<string, string> = { ...inboundFields('SIGNED0002', 'STOP & go=now'), timestamp: String(Math.floor(Date.now() / 1000)), nonce: 'n-1' };
    params.sig = signVonageParams(params, SIGNATURE_SECRET, 'md5hash').toLowerCase();
    const response = await fetch(`${routes.url}/vonage-md5/inbound?${new URLSearchParams(params)}`);
    expect(response.status).toBe(204);

    expect(events.messages.map((message) => [message.providerMessageId, message.text, message.from])).toEqual([
      ['SIGNED0001', 'YES', '+447700900111'],
      ['SIGNED0002', 'STOP & go=now', '+447700900111'],
    ]);
    expect(events.messages[0]!.at).toEqual(new Date('2025-05-04T10:20:30Z'));
  });

  it('refuses a missing, wrong, stale or tampered signature with 401 and records nothing', async () => {
    const fields = inboundFields('FORGED0001', 'STOP');
    expect(await postWebhook('/vonage/inbound', fields, { sign: false })).toBe(401);
    expect(await postWebhook('/vonage/inbound', fields, { secret: 'another-secret' })).toBe(401);
    expect(await postWebhook('/vonage/inbound', fields, { method: 'sha512' })).toBe(401);
    expect(await postWebhook('/vonage/inbound', fields, { ageMs: 6 * 60 * 1000 })).toBe(401);
    expect(await postWebhook('/vonage/inbound', fields, { afterSigning: { text: 'YES' } })).toBe(401);
    expect(await postWebhook('/vonage/receipts', { msisdn: '447700900111', messageId: 'FORGED0002', status: 'failed', 'message-timestamp': '2025-05-04 10:20:30' }, { sign: false })).toBe(401);
    expect(events.messages).toEqual([]);
    expect(events.receipts).toEqual([]);
  });

  it('records nothing Vonage sends when the route has another signature secret', async () => {
    const vonage = await emulator({ '+447700900007': answers('YES') }, { signatureSecret: 'rotated-secret-not-known-to-the-route' });
    await smsClient(vonage).send({ from: BUSINESS_NUMBER, to: '+447700900007', text: MOVE_NOTICE, clientRef: 'optin-7' });
    await vonage.settled();

    expect(vonage.webhookDeliveries().map((delivery) => delivery.status)).toEqual([401, 401]);
    expect(events.receipts).toEqual([]);
    expect(events.messages).toEqual([]);
  });

  it("maps each of Vonage's receipt statuses", async () => {
    const statuses = { delivered: 'delivered', expired: 'failed', failed: 'failed', rejected: 'failed', accepted: 'sent', buffered: 'sent', unknown: 'sent' };
    for (const status of Object.keys(statuses)) {
      const fields = { msisdn: '447700900111', to: BUSINESS_NUMBER, messageId: `DLR-${status}`, status, 'err-code': '0', 'client-ref': `ref-${status}`, 'message-timestamp': '2025-05-04 10:20:30' };
      expect(await postWebhook('/vonage/receipts', fields)).toBe(204);
    }
    expect(Object.fromEntries(events.receipts.map((receipt) => [receipt.providerMessageId!.slice(4), receipt.status]))).toEqual(statuses);
  });
});

describe('Vonage Number Insight', () => {
  const lineTypes: Record<string, CarrierAnswer['lineType']> = {
    '+447700900010': 'mobile',
    '+442079460010': 'fixed',
    '+18005550110': 'toll_free',
    '+447700900011': 'voip',
    '+447700900012': 'unknown',
    '+447700900013': 'invalid',
  };

  it('answers each number with the line type Vonage reports, and invalid numbers as invalid', async () => {
    const vonage = await emulator({}, { lineTypes: (e164) => lineTypes[e164] ?? 'mobile' });
    const insight = createVonageNumberInsightClient({ baseUrl: vonage.url, apiKey: vonage.apiKey, apiSecret: vonage.apiSecret });
    const found: Record<string, CarrierAnswer['lineType']> = {};
    for (const e164 of Object.keys(lineTypes)) found[e164] = (await insight.lookup(e164)).lineType;

    expect(found).toEqual(lineTypes);
    expect(await insight.lookup('+442079460010')).toMatchObject({ carrier: 'Emulated Network', country: 'GB', ported: false });
    expect(vonage.insightRequests()).toBe(Object.keys(lineTypes).length + 1);
  });

  it('fails for good on wrong credentials, and retryably when throttled', async () => {
    const vonage = await emulator({}, { insightRate: { requests: 1, intervalMs: 1000 } });
    const wrong = createVonageNumberInsightClient({ baseUrl: vonage.url, apiKey: vonage.apiKey, apiSecret: 'wrong-secret' });
    const rejected = await applicationFailureOf(wrong.lookup('+447700900010'));
    expect(rejected.nonRetryable).toBe(true);
    expect(rejected.message).toContain('status 4');

    const insight = createVonageNumberInsightClient({ baseUrl: vonage.url, apiKey: vonage.apiKey, apiSecret: vonage.apiSecret });
    const throttled = await applicationFailureOf(insight.lookup('+447700900010'));
    expect(throttled.type).toBe('VonageUnavailable');
    expect(throttled.nonRetryable).toBe(false);
  });
});
