import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeliveryReceipt, InboundEvents, InboundMessage } from '../../activities/opt-in/inbound-events.ts';
import { applicationFailureOf } from '../../test/support/rejections.ts';
import type { CarrierAnswer } from '../carrier-lookup.ts';
import { emulatedCustomers, type CustomerScript } from '../emulated-customers.ts';
import { listenOnLoopback, type LoopbackServer } from '../loopback-server.ts';
import { createPlivoLookupClient } from './lookup-client.ts';
import { startPlivoMessagingEmulator, type PlivoMessagingEmulator, type PlivoMessagingEmulatorOptions } from './messaging-emulator.ts';
import { createPlivoSendClient } from './send-client.ts';
import { plivoInboundMessageRoute, plivoStatusRoute, type PlivoRouteOptions } from './webhook-routes.ts';
import { isPlivoV3SignatureValid, signPlivoV2, signPlivoV3 } from './webhook-signature.ts';

const BUSINESS = '+14155550100';
const ANSWERS_YES = '+971501234567';
const SILENT = '+971501234568';
const LANDLINE = '+97142345678';

const scripts = new Map<string, CustomerScript>([
  [ANSWERS_YES, { answers: [{ text: 'نعم', delayMs: 10 }], onWhatsApp: true }],
  [LANDLINE, { answers: [{ text: 'never sent: a landline gets no SMS', delayMs: 10 }], onWhatsApp: false }],
]);

interface Recorder {
  events: InboundEvents;
  messages: InboundMessage[];
  receipts: DeliveryReceipt[];
}

/** InboundEvents that keep what they get; the first `failingReceipts` receipts throw, as a database down would. */
function recorder(failingReceipts = 0): Recorder {
  const messages: InboundMessage[] = [];
  const receipts: DeliveryReceipt[] = [];
  let failuresLeft = failingReceipts;
  return {
    messages,
    receipts,
    events: {
      message: async (event) => void messages.push(event),
      receipt: async (event) => {
        if (failuresLeft-- > 0) throw new Error('database unavailable');
        receipts.push(event);
      },
      whatsAppStatus: async () => {
        throw new Error('no WhatsApp status expected');
      },
    },
  };
}

const opened: { close(): Promise<void> }[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((server) => server.close()));
});

/** The product's side: both routes on one server, as the worker mounts them. */
async function routes(authToken: string, events: InboundEvents, publicUrl?: string, signatureV2?: PlivoRouteOptions['signatureV2']): Promise<LoopbackServer> {
  const inbound = plivoInboundMessageRoute({ authToken, events, publicUrl, signatureV2 });
  const status = plivoStatusRoute({ authToken, events, publicUrl, signatureV2 });
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://routes').pathname;
    if (path === '/plivo/inbound') return void inbound(request, response);
    if (path === '/plivo/status') return void status(request, response);
    response.writeHead(404).end();
  });
  const loopback = await listenOnLoopback(server);
  opened.push(loopback);
  return loopback;
}

async function emulator(options: Partial<PlivoMessagingEmulatorOptions> = {}): Promise<PlivoMessagingEmulator> {
  const started = await startPlivoMessagingEmulator({ customers: emulatedCustomers(scripts), ...options });
  opened.push(started);
  return started;
}

function sendClient(plivo: PlivoMessagingEmulator, authToken = plivo.authToken) {
  return createPlivoSendClient({ baseUrl: plivo.url, authId: plivo.authId, authToken });
}

/** A form POST as Plivo makes it, with the headers given. */
async function postForm(url: string, params: Record<string, string>, headers: Record<string, string>): Promise<number> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params).toString(),
  });
  await response.arrayBuffer();
  return response.status;
}

describe('Plivo signatures', () => {
  it('computes V2 as plivo-node does (its own test vectors)', () => {
    expect(signPlivoV2({ url: 'https://answer.url', nonce: '12345', authToken: 'my_auth_token' })).toBe('ehV3IKhLysWBxC1sy8INm0qGoQYdYsHwuoKjsX7FsXc=');
    expect(signPlivoV2({ url: 'https://answer.url:8000', nonce: '24725744043720739450', authToken: 'my_auth_token' })).toBe(
      'LDphWoWimP4QM5AoWI1uwP6WmlWtt5ITPZjXIWYvCNU=',
    );
    // The query is not signed by V2.
    expect(signPlivoV2({ url: 'https://answer.url?ref=1', nonce: '12345', authToken: 'my_auth_token' })).toBe('ehV3IKhLysWBxC1sy8INm0qGoQYdYsHwuoKjsX7FsXc=');
  });

  it('computes V3 over the URL, the sorted decoded query and the sorted POST parameters', () => {
    const params: [string, string][] = [
      ['To', '14155550100'],
      ['From', '971501234567'],
      ['Text', 'نعم يا'],
    ];
    const signed = 'https://hooks.example.com/plivo/status?a=1 2&ref=b.From971501234567Textنعم ياTo14155550100.31415';
    const expected = createHmac('sha256', 'token').update(signed, 'utf8').digest('base64');
    expect(signPlivoV3({ url: 'https://hooks.example.com/plivo/status?ref=b&a=1%202', params, nonce: '31415', authToken: 'token' })).toBe(expected);

    const withoutQuery = createHmac('sha256', 'token').update('https://hooks.example.com/in?From971501234567.1', 'utf8').digest('base64');
    expect(signPlivoV3({ url: 'https://hooks.example.com/in', params: [['From', '971501234567']], nonce: '1', authToken: 'token' })).toBe(withoutQuery);
    const getOnly = createHmac('sha256', 'token').update('https://hooks.example.com/in?a=1.1', 'utf8').digest('base64');
    expect(signPlivoV3({ url: 'https://hooks.example.com/in?a=1', params: [], nonce: '1', authToken: 'token' })).toBe(getOnly);
  });

  it('accepts a V3 header holding several signatures when one matches', () => {
    const input = { url: 'https://hooks.example.com/in', params: [['From', '1']] as [string, string][], nonce: '7', authToken: 'token' };
    const valid = signPlivoV3(input);
    const other = signPlivoV3({ ...input, authToken: 'old-token' });
    expect(isPlivoV3SignatureValid({ ...input, signatures: `${other},${valid}` })).toBe(true);
    expect(isPlivoV3SignatureValid({ ...input, signatures: other })).toBe(false);
    expect(isPlivoV3SignatureValid({ ...input, signatures: undefined })).toBe(false);
  });
});

describe('Plivo messaging', () => {
  it('sends through the emulator; status callbacks with our ref and the customer reply reach InboundEvents', async () => {
    const plivo = await emulator({ lineTypes: (number) => (number === LANDLINE ? 'fixed' : 'mobile') });
    const record = recorder();
    const product = await routes(plivo.authToken, record.events);
    plivo.useWebhooks({ inbound: `${product.url}/plivo/inbound` });
    const client = sendClient(plivo);

    const toCustomer = await client.send({
      src: BUSINESS,
      dst: ANSWERS_YES,
      text: 'We are moving to WhatsApp. Reply YES to follow us there.',
      statusUrl: `${product.url}/plivo/status?ref=campaign-1%3Acustomer-7`,
    });
    const toLandline = await client.send({ src: BUSINESS, dst: LANDLINE, text: 'Hello', statusUrl: `${product.url}/plivo/status?ref=campaign-1%3Acustomer-8` });
    const toSilent = await client.send({ src: BUSINESS, dst: SILENT, text: 'Hello' });
    await plivo.settled();

    expect(plivo.sentMessages()).toEqual([
      expect.objectContaining({ messageUuid: toCustomer.messageUuid, src: BUSINESS.slice(1), dst: ANSWERS_YES, statusUrl: `${product.url}/plivo/status?ref=campaign-1%3Acustomer-7` }),
      expect.objectContaining({ messageUuid: toLandline.messageUuid, dst: LANDLINE }),
      expect.objectContaining({ messageUuid: toSilent.messageUuid, dst: SILENT }),
    ]);
    const receipt = (messageUuid: string, reference: string, recipient: string, status: DeliveryReceipt['status']) =>
      expect.objectContaining({ provider: 'plivo', providerMessageId: messageUuid, reference, recipient, status });
    // `queued` is not recorded; the landline's message is undelivered, so a failure.
    expect(record.receipts).toEqual(
      expect.arrayContaining([
        receipt(toCustomer.messageUuid, 'campaign-1:customer-7', ANSWERS_YES, 'sent'),
        receipt(toCustomer.messageUuid, 'campaign-1:customer-7', ANSWERS_YES, 'delivered'),
        receipt(toLandline.messageUuid, 'campaign-1:customer-8', LANDLINE, 'sent'),
        receipt(toLandline.messageUuid, 'campaign-1:customer-8', LANDLINE, 'failed'),
      ]),
    );
    expect(record.receipts).toHaveLength(4);
    // Only the customer reached answers: the landline never got the SMS, the silent one says nothing.
    expect(record.messages).toEqual([expect.objectContaining({ provider: 'plivo', channel: 'sms', from: ANSWERS_YES, text: 'نعم' })]);
    expect(record.messages[0]!.at).toBeInstanceOf(Date);
  });

  it('refuses callbacks signed with V2 alone unless told to take them: V2 signs no parameters', async () => {
    const plivo = await emulator({ signature: 'v2' });
    const record = recorder();
    const product = await routes(plivo.authToken, record.events);
    plivo.useWebhooks({ inbound: `${product.url}/plivo/inbound` });

    await sendClient(plivo).send({ src: BUSINESS, dst: ANSWERS_YES, text: 'Hello', statusUrl: `${product.url}/plivo/status?ref=r-2` });
    await plivo.settled();

    expect(record.receipts).toEqual([]);
    expect(record.messages).toEqual([]);
  });

  it('accepts callbacks signed with V2 alone when told to, each nonce once', async () => {
    const plivo = await emulator({ signature: 'v2' });
    const record = recorder();
    const seen = new Set<string>();
    const firstUse = async (nonce: string) => !seen.has(nonce) && Boolean(seen.add(nonce));
    const product = await routes(plivo.authToken, record.events, undefined, { firstUse });
    plivo.useWebhooks({ inbound: `${product.url}/plivo/inbound` });

    const { messageUuid } = await sendClient(plivo).send({ src: BUSINESS, dst: ANSWERS_YES, text: 'Hello', statusUrl: `${product.url}/plivo/status?ref=r-2` });
    await plivo.settled();

    expect(record.receipts.map(({ providerMessageId, reference, status }) => ({ providerMessageId, reference, status }))).toEqual([
      { providerMessageId: messageUuid, reference: 'r-2', status: 'sent' },
      { providerMessageId: messageUuid, reference: 'r-2', status: 'delivered' },
    ]);
    expect(record.messages).toEqual([expect.objectContaining({ from: ANSWERS_YES, text: 'نعم' })]);
  });

  it('sends a callback again when InboundEvents failed (500), and records it then', async () => {
    const plivo = await emulator();
    const record = recorder(1);
    const product = await routes(plivo.authToken, record.events);

    const { messageUuid } = await sendClient(plivo).send({ src: BUSINESS, dst: SILENT, text: 'Hello', statusUrl: `${product.url}/plivo/status?ref=r-3` });
    await plivo.settled();

    expect(record.receipts.map(({ providerMessageId, status }) => ({ providerMessageId, status }))).toEqual([
      { providerMessageId: messageUuid, status: 'sent' },
      { providerMessageId: messageUuid, status: 'delivered' },
    ]);
  });

  describe('refuses callbacks that Plivo did not sign, recording nothing', () => {
    const authToken = 'the-account-token';
    const params = { From: '971501234567', To: '14155550100', Text: 'STOP', Type: 'sms', MessageUUID: 'forged-0001' };
    const statusParams = { MessageUUID: 'forged-0002', To: '971501234567', Status: 'delivered', ErrorCode: '000' };

    async function refused(sign: (url: string) => Record<string, string>, body = params): Promise<{ status: number; record: Recorder }> {
      const record = recorder();
      const product = await routes(authToken, record.events);
      const url = `${product.url}/plivo/inbound`;
      return { status: await postForm(url, body, sign(url)), record };
    }

    const v3 = (url: string, token: string, signedParams: Record<string, string> = params) => ({
      'x-plivo-signature-v3': signPlivoV3({ url, params: Object.entries(signedParams), nonce: '12345678901234567890', authToken: token }),
      'x-plivo-signature-v3-nonce': '12345678901234567890',
    });

    it('without a signature', async () => {
      const { status, record } = await refused(() => ({}));
      expect(status).toBe(401);
      expect(record.messages).toEqual([]);
    });

    it('signed with another token (V3 or V2)', async () => {
      for (const headers of [
        (url: string) => v3(url, 'another-token'),
        (url: string) => ({ 'x-plivo-signature-v2': signPlivoV2({ url, nonce: '1', authToken: 'another-token' }), 'x-plivo-signature-v2-nonce': '1' }),
      ]) {
        const { status, record } = await refused(headers);
        expect(status).toBe(401);
        expect(record.messages).toEqual([]);
      }
    });

    it('with a body changed after signing', async () => {
      const { status, record } = await refused((url) => v3(url, authToken), { ...params, Text: 'YES' });
      expect(status).toBe(401);
      expect(record.messages).toEqual([]);
    });

    it('a status callback whose ref was changed after signing', async () => {
      const record = recorder();
      const product = await routes(authToken, record.events);
      const signedFor = `${product.url}/plivo/status?ref=campaign-1`;
      const headers = v3(signedFor, authToken, statusParams);
      expect(await postForm(`${product.url}/plivo/status?ref=campaign-2`, statusParams, headers)).toBe(401);
      expect(await postForm(signedFor, statusParams, headers)).toBe(200);
      expect(record.receipts).toEqual([expect.objectContaining({ providerMessageId: 'forged-0002', reference: 'campaign-1', status: 'delivered' })]);
    });

    it('signed for localhost when the business registered a public URL', async () => {
      const record = recorder();
      const product = await routes(authToken, record.events, 'https://hooks.example.com/');
      const local = `${product.url}/plivo/inbound`;
      expect(await postForm(local, params, v3(local, authToken))).toBe(401);
      expect(await postForm(local, params, v3('https://hooks.example.com/plivo/inbound', authToken))).toBe(200);
      expect(record.messages).toEqual([expect.objectContaining({ providerMessageId: 'forged-0001', from: '+971501234567', text: 'STOP' })]);
    });
  });

  it('keeps within Plivo sending speed, one limit for every caller of a client', async () => {
    const plivo = await emulator();
    const client = sendClient(plivo);
    const dst = Array.from({ length: 11 }, (_, i) => `+9715012300${String(i).padStart(2, '0')}`);
    await Promise.all(dst.map((number) => client.send({ src: BUSINESS, dst: number, text: 'Hello' })));
    await plivo.settled();
    expect(plivo.sentMessages().map((message) => message.dst).sort()).toEqual(dst);
    expect(plivo.maxSendsInAnyWindow(1000)).toBeLessThanOrEqual(5);
  });

  it('fails retryably when Plivo throttles (429) and for good on bad credentials or a bad request', async () => {
    const plivo = await emulator({ sendRate: { requests: 1, intervalMs: 60_000 } });
    const client = sendClient(plivo);
    await client.send({ src: BUSINESS, dst: ANSWERS_YES, text: 'Hello' });

    const throttled = await applicationFailureOf(client.send({ src: BUSINESS, dst: SILENT, text: 'Hello' }));
    expect(throttled.nonRetryable).toBe(false);
    expect(throttled.message).toContain('429');

    const unauthorised = await applicationFailureOf(sendClient(plivo, 'wrong-token').send({ src: BUSINESS, dst: SILENT, text: 'Hello' }));
    expect(unauthorised.nonRetryable).toBe(true);
    expect(unauthorised.message).toContain('401');

    const fresh = await emulator();
    const tooLong = await applicationFailureOf(sendClient(fresh).send({ src: BUSINESS, dst: SILENT, text: 'x'.repeat(1601) }));
    expect(tooLong.nonRetryable).toBe(true);
    expect(tooLong.message).toContain('400');

    const notE164 = await applicationFailureOf(sendClient(fresh).send({ src: BUSINESS, dst: '0501234567', text: 'Hello' }));
    expect(notE164.nonRetryable).toBe(true);
    expect(notE164.message).not.toMatch(/\d{7}/);
    expect(fresh.sentMessages()).toEqual([]);
  });
});

describe('Plivo lookup', () => {
  const lineTypes: Record<string, CarrierAnswer['lineType']> = {
    '+14155550123': 'mobile',
    '+14155550124': 'fixed',
    '+14155550125': 'voip',
    '+18005550199': 'toll_free',
    '+14155550126': 'unknown',
    '+14155550127': 'invalid',
  };

  it('maps carrier types, and a number Plivo says does not exist to invalid', async () => {
    const plivo = await emulator({ lineTypes: (number) => lineTypes[number] ?? 'mobile' });
    const lookup = createPlivoLookupClient({ baseUrl: plivo.url, authId: plivo.authId, authToken: plivo.authToken });

    for (const [number, lineType] of Object.entries(lineTypes)) {
      const answer = await lookup.lookup(number);
      expect(answer.lineType, number).toBe(lineType);
      if (lineType !== 'invalid') expect(answer).toMatchObject({ country: 'US', ported: false, carrier: expect.any(String) });
    }
    expect(plivo.lookupRequests()).toBe(Object.keys(lineTypes).length);
  });

  it('fails retryably beyond the rate and for good on bad credentials', async () => {
    const plivo = await emulator({ lookupRate: { requests: 1, intervalMs: 60_000 } });
    const lookup = createPlivoLookupClient({ baseUrl: plivo.url, authId: plivo.authId, authToken: plivo.authToken });
    await lookup.lookup('+14155550123');
    const throttled = await applicationFailureOf(lookup.lookup('+14155550123'));
    expect(throttled.nonRetryable).toBe(false);

    const intruder = createPlivoLookupClient({ baseUrl: plivo.url, authId: plivo.authId, authToken: 'wrong-token' });
    const unauthorised = await applicationFailureOf(intruder.lookup('+14155550123'));
    expect(unauthorised.nonRetryable).toBe(true);
  });
});
