import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createServer } from 'node:http';
import type { DeliveryReceipt, InboundEvents, InboundMessage, WhatsAppStatus } from '../../activities/opt-in/inbound-events.ts';
import { emulatedCustomers, whatsAppAddress, type CustomerScript } from '../emulated-customers.ts';
import { listenOnLoopback, type LoopbackServer } from '../loopback-server.ts';
import { applicationFailureOf } from '../../test/support/rejections.ts';
import { createWhatsAppCloudClient, type WhatsAppCloudClient, type WhatsAppCloudSettings } from './cloud-client.ts';
import { startWhatsAppCloudEmulator, type WhatsAppCloudEmulator, type WhatsAppCloudEmulatorOptions } from './cloud-emulator.ts';
import { signWhatsAppBody } from './webhook-signature.ts';
import { whatsAppWebhookRoute } from './webhook-route.ts';

const VERIFY_TOKEN = 'channelshift-verify-token';
const MOVE_NOTICE = { name: 'move_notice', language: 'en_US', bodyParameters: 1 };
const GREETING = { name: 'greeting', language: 'ar' };

/** Distinct UAE mobile numbers, `first` onwards. */
function numbers(count: number, first: number): string[] {
  return Array.from({ length: count }, (_, i) => `+97150${String(first + i).padStart(7, '0')}`);
}

/** InboundEvents that remember what they were given; `failNext` makes the next calls throw, as a database outage would. */
class RecordingEvents implements InboundEvents {
  statuses: WhatsAppStatus[] = [];
  messages: InboundMessage[] = [];
  receipts: DeliveryReceipt[] = [];
  failNext = 0;

  async message(event: InboundMessage): Promise<void> {
    this.#maybeFail();
    this.messages.push(event);
  }
  async receipt(event: DeliveryReceipt): Promise<void> {
    this.receipts.push(event);
  }
  async whatsAppStatus(event: WhatsAppStatus): Promise<void> {
    this.#maybeFail();
    this.statuses.push(event);
  }
  statusesOf(wamid: string): string[] {
    return this.statuses.filter((s) => s.wamid === wamid).map((s) => s.status);
  }
  #maybeFail(): void {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('database unavailable');
    }
  }
}

interface Setup {
  emulator: WhatsAppCloudEmulator;
  client: WhatsAppCloudClient;
  events: RecordingEvents;
  route: LoopbackServer;
  /** Webhook POSTs the route received. */
  posts: () => number;
  close(): Promise<void>;
}

async function setup(scripts: Map<string, CustomerScript>, options: Partial<WhatsAppCloudEmulatorOptions> = {}, client: Partial<WhatsAppCloudSettings> = {}): Promise<Setup> {
  const emulator = await startWhatsAppCloudEmulator({ templates: [MOVE_NOTICE, GREETING], customers: emulatedCustomers(scripts), ...options });
  const events = new RecordingEvents();
  const handle = whatsAppWebhookRoute({ appSecret: emulator.appSecret, verifyToken: VERIFY_TOKEN, events });
  let posts = 0;
  const route = await listenOnLoopback(
    createServer((request, response) => {
      if (request.method === 'POST') posts++;
      void handle(request, response);
    }),
  );
  emulator.useWebhooks({ url: `${route.url}/webhooks/whatsapp` });
  return {
    emulator,
    events,
    route,
    posts: () => posts,
    client: createWhatsAppCloudClient({ baseUrl: emulator.url, phoneNumberId: emulator.phoneNumberId, accessToken: emulator.accessToken, ...client }),
    async close() {
      await emulator.close();
      await route.close();
    },
  };
}

const onWhatsApp = (answers: CustomerScript['answers'] = []): CustomerScript => ({ answers, onWhatsApp: true });
const notOnWhatsApp: CustomerScript = { answers: [], onWhatsApp: false };
const notice = (to: string, callbackData?: string) => ({
  to,
  template: { name: 'move_notice', languageCode: 'en_US', bodyParameters: ['Acme Dental'] },
  ...(callbackData === undefined ? {} : { callbackData }),
});

describe('WhatsApp Cloud API: sending templates and receiving statuses', () => {
  const [reader, noWhatsApp, replier, other] = numbers(4, 1000);
  let s: Setup;

  beforeAll(async () => {
    s = await setup(
      new Map([
        [reader!, onWhatsApp()],
        [noWhatsApp!, notOnWhatsApp],
        [replier!, onWhatsApp()],
        [whatsAppAddress(replier!), onWhatsApp([{ text: 'نعم، موافق 👍', delayMs: 20 }])],
        [other!, onWhatsApp()],
      ]),
    );
  });
  afterAll(() => s.close());

  it('delivers a template to a number with WhatsApp and reports its statuses, ending with read', async () => {
    const sent = await s.client.sendTemplate(notice(reader!, 'contact-17'));
    await s.emulator.settled();

    expect(sent).toEqual({ wamid: expect.stringMatching(/^wamid\./), waId: reader!.slice(1) });
    expect(s.emulator.sentMessages()).toContainEqual(
      expect.objectContaining({ wamid: sent.wamid, to: reader, template: { name: 'move_notice', language: 'en_US' }, callbackData: 'contact-17' }),
    );
    const statuses = s.events.statuses.filter((status) => status.wamid === sent.wamid);
    expect(statuses.map((status) => status.status)).toContain('read');
    expect(statuses.every((status) => ['sent', 'delivered', 'read'].includes(status.status))).toBe(true);
    for (const status of statuses) {
      expect(status).toMatchObject({ waId: reader!.slice(1), callbackData: 'contact-17', errorCodes: [] });
      expect(Math.abs(status.at.getTime() - Date.now())).toBeLessThan(60_000);
    }
  });

  it('accepts a template to a number without WhatsApp, then reports it failed with 131026', async () => {
    const sent = await s.client.sendTemplate(notice(noWhatsApp!, 'contact-18'));
    expect(s.events.statusesOf(sent.wamid)).toEqual([]);
    await s.emulator.settled();

    expect(s.events.statuses.filter((status) => status.wamid === sent.wamid)).toEqual([
      { wamid: sent.wamid, status: 'failed', waId: noWhatsApp!.slice(1), at: expect.any(Date), errorCodes: [131026], callbackData: 'contact-18' },
    ]);
  });

  it("passes on a customer's answer, written in any script, as an inbound WhatsApp message", async () => {
    await s.client.sendTemplate(notice(replier!));
    await s.emulator.settled();

    expect(s.events.messages).toEqual([
      { provider: 'whatsapp', channel: 'whatsapp', from: replier, providerMessageId: expect.stringMatching(/^wamid\./), text: 'نعم، موافق 👍', at: expect.any(Date) },
    ]);
  });

  it('fails for good on a wrong token, an unknown template or a parameter count the template does not have', async () => {
    const intruder = createWhatsAppCloudClient({ baseUrl: s.emulator.url, phoneNumberId: s.emulator.phoneNumberId, accessToken: 'stolen' });
    const cases = [
      [intruder.sendTemplate(notice(other!)), 190],
      [s.client.sendTemplate({ to: other!, template: { name: 'move_notice', languageCode: 'fr' } }), 132001],
      [s.client.sendTemplate({ to: other!, template: { name: 'unapproved_offer', languageCode: 'en_US' } }), 132001],
      [s.client.sendTemplate({ to: other!, template: { name: 'move_notice', languageCode: 'en_US' } }), 132000],
    ] as const;
    for (const [sending, code] of cases) {
      const failure = await applicationFailureOf(sending);
      expect(failure).toMatchObject({ type: 'WhatsAppRejected', nonRetryable: true, details: [{ code }] });
      expect(failure.message).toContain(String(code));
      expect(failure.message).not.toContain(other!.slice(1));
    }
    expect(s.emulator.sentMessages().some((message) => message.to === other)).toBe(false);
  });

  it('refuses a second message to the same customer within 6 s as retryable after 6 s (pair rate limit)', async () => {
    const [customer] = numbers(1, 2000);
    await s.client.sendTemplate({ to: customer!, template: { name: 'greeting', languageCode: 'ar' } });
    const failure = await applicationFailureOf(s.client.sendTemplate({ to: customer!, template: { name: 'greeting', languageCode: 'ar' } }));

    expect(failure).toMatchObject({ type: 'WhatsAppUnavailable', nonRetryable: false, nextRetryDelay: 6000, details: [{ code: 131056 }] });
    expect(failure.message).not.toContain(customer!.slice(1));
  });
});

describe('WhatsApp Cloud API limits', () => {
  it('refuses beyond the throughput with 429 and code 130429, retryable after a second', async () => {
    const s = await setup(new Map(), { throughput: { requests: 3, intervalMs: 60_000 } });
    try {
      const results = await Promise.allSettled(numbers(5, 3000).map((to) => s.client.sendTemplate(notice(to))));

      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(3);
      for (const result of results.filter((result) => result.status === 'rejected')) {
        expect(result.reason).toMatchObject({ type: 'WhatsAppUnavailable', nonRetryable: false, nextRetryDelay: 1000, details: [{ code: 130429 }] });
      }
      expect(s.emulator.refusals()).toEqual([
        { at: expect.any(Number), status: 429, code: 130429 },
        { at: expect.any(Number), status: 429, code: 130429 },
      ]);
    } finally {
      await s.close();
    }
  });

  it('keeps one client within the throughput it is given, however many callers send at once', async () => {
    const throughput = { requests: 10, intervalMs: 200 };
    const s = await setup(new Map(), { throughput }, { throughput });
    try {
      await Promise.all(numbers(35, 4000).map((to) => s.client.sendTemplate(notice(to))));

      expect(s.emulator.refusals()).toEqual([]);
      expect(s.emulator.sentMessages()).toHaveLength(35);
      expect(s.emulator.maxAcceptedInAnyWindow(throughput.intervalMs)).toBeLessThanOrEqual(throughput.requests);
    } finally {
      await s.close();
    }
  });

  it('refuses a new customer beyond the messaging limit as retryable, and still takes customers already reached', async () => {
    const s = await setup(new Map(), { messagingLimit: 3, pairIntervalMs: 50 });
    try {
      const [a, b, c, d] = numbers(4, 5000);
      for (const to of [a, b, c]) await s.client.sendTemplate(notice(to!));
      const failure = await applicationFailureOf(s.client.sendTemplate(notice(d!)));
      await new Promise((resolve) => setTimeout(resolve, 60));
      await s.client.sendTemplate(notice(a!));

      expect(failure).toMatchObject({ type: 'WhatsAppUnavailable', nonRetryable: false, details: [{ code: 131048 }] });
      expect(Number(failure.nextRetryDelay)).toBeGreaterThan(60_000);
      expect(s.emulator.sentMessages().map((message) => message.to)).toEqual([a, b, c, a]);
    } finally {
      await s.close();
    }
  });
});

describe('WhatsApp notifications as Meta sends them', () => {
  it('batches, reorders, skips and duplicates statuses; the route passes every one on', async () => {
    const customers = numbers(40, 6000);
    const s = await setup(new Map(customers.map((to) => [to, onWhatsApp()])), { statuses: { duplicateRate: 0.5, seed: 7 } });
    try {
      const sent = await Promise.all(customers.map((to) => s.client.sendTemplate(notice(to))));
      await s.emulator.settled();

      const histories = sent.map(({ wamid }) => s.events.statusesOf(wamid));
      const duplicated = histories.filter((history) => new Set(history).size < history.length);
      const skipped = histories.filter((history) => !history.includes('delivered'));
      const reordered = histories.filter((history) => history.lastIndexOf('read') < history.lastIndexOf('delivered'));
      expect(histories.every((history) => history.includes('sent') && history.includes('read'))).toBe(true);
      expect(duplicated.length).toBeGreaterThan(0);
      expect(skipped.length).toBeGreaterThan(0);
      expect(reordered.length).toBeGreaterThan(0);
      expect(s.posts()).toBeLessThan(s.events.statuses.length);
    } finally {
      await s.close();
    }
  });

  it('answers 500 when the events cannot be recorded, and the notification arrives again', async () => {
    const [customer] = numbers(1, 7000);
    const s = await setup(new Map([[customer!, notOnWhatsApp]]));
    try {
      s.events.failNext = 1;
      const sent = await s.client.sendTemplate(notice(customer!));
      await s.emulator.settled();

      expect(s.posts()).toBe(2);
      expect(s.events.statusesOf(sent.wamid)).toEqual(['failed']);
    } finally {
      await s.close();
    }
  });
});

describe('WhatsApp webhook route', () => {
  const appSecret = 'route-test-app-secret';
  const events = new RecordingEvents();
  let route: LoopbackServer;
  const statusBody = JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' },
              statuses: [{ id: 'wamid.forged', status: 'read', timestamp: '1750000000', recipient_id: '971500000001', conversation: { id: 'c1' } }],
            },
          },
        ],
      },
    ],
  });
  const post = (body: string, signature?: string) =>
    fetch(`${route.url}/webhooks/whatsapp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(signature === undefined ? {} : { 'x-hub-signature-256': signature }) },
      body,
    });

  beforeAll(async () => {
    const handle = whatsAppWebhookRoute({ appSecret, verifyToken: VERIFY_TOKEN, events });
    route = await listenOnLoopback(createServer((request, response) => void handle(request, response)));
  });
  afterAll(() => route.close());

  it('refuses a notification with a missing or wrong signature and records nothing', async () => {
    expect((await post(statusBody)).status).toBe(401);
    expect((await post(statusBody, signWhatsAppBody(statusBody, 'someone-elses-secret'))).status).toBe(401);
    expect((await post(statusBody, 'sha256=not-hex')).status).toBe(401);
    // Signed, then changed on the way: the bytes no longer match.
    expect((await post(statusBody.replace('read', 'sent'), signWhatsAppBody(statusBody, appSecret))).status).toBe(401);
    expect(events.statuses).toEqual([]);
  });

  it('records a signed notification, ignoring fields it does not know', async () => {
    expect((await post(statusBody, signWhatsAppBody(statusBody, appSecret))).status).toBe(200);
    expect(events.statuses).toEqual([
      { wamid: 'wamid.forged', status: 'read', waId: '971500000001', at: new Date(1_750_000_000_000), errorCodes: [] },
    ]);
  });

  it('refuses a signed body that is not a WhatsApp notification, saying what is wrong', async () => {
    const before = events.statuses.length;
    const page = JSON.stringify({ object: 'page', entry: [] });
    const missingId = statusBody.replace('"id":"wamid.forged",', '');
    const refusedPage = await post(page, signWhatsAppBody(page, appSecret));
    const refusedStatus = await post(missingId, signWhatsAppBody(missingId, appSecret));

    expect(refusedPage.status).toBe(400);
    expect(await refusedPage.text()).toContain('whatsapp_business_account');
    expect(refusedStatus.status).toBe(400);
    expect(await refusedStatus.text()).toContain('statuses[0].id');
    expect(events.statuses).toHaveLength(before);
  });

  it('answers the verification handshake with the challenge, and refuses a wrong verify token', async () => {
    const verify = (token: string) => fetch(`${route.url}/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${token}&hub.challenge=1158201444`);
    const accepted = await verify(VERIFY_TOKEN);
    expect(accepted.status).toBe(200);
    expect(accepted.headers.get('content-type')).toBe('text/plain');
    expect(await accepted.text()).toBe('1158201444');
    expect((await verify('guessed-token')).status).toBe(403);
  });
});
