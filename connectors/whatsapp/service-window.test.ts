import { afterEach, describe, expect, it } from 'vitest';
import { emulatedCustomers, whatsAppAddress, type CustomerScript } from '../emulated-customers.ts';
import { applicationFailureOf } from '../../test/support/rejections.ts';
import { captureWhatsAppWebhooks, type CapturedWebhooks } from './captured-webhooks.ts';
import { createWhatsAppCloudClient, type WhatsAppCloudClient } from './cloud-client.ts';
import { startWhatsAppCloudEmulator, type WhatsAppCloudEmulator, type WhatsAppCloudEmulatorOptions } from './cloud-emulator.ts';
import type { InteractiveMessage, ListMessage, ReplyButtonsMessage } from './interactive-message.ts';

const DAY_MS = 24 * 3_600_000;
const GREETING = { name: 'greeting', language: 'en_US' };

interface Setup {
  emulator: WhatsAppCloudEmulator;
  client: WhatsAppCloudClient;
  webhooks: CapturedWebhooks;
}

let open: Setup[] = [];
afterEach(async () => {
  await Promise.all(open.map(async ({ emulator, webhooks }) => (await emulator.close(), await webhooks.close())));
  open = [];
});

/** Distinct UAE mobile numbers, `first` onwards. */
const numbers = (count: number, first: number): string[] => Array.from({ length: count }, (_, i) => `+97155${String(first + i).padStart(7, '0')}`);
const onWhatsApp = (answers: CustomerScript['answers'] = []): CustomerScript => ({ answers, onWhatsApp: true });

async function setup(scripts: [string, CustomerScript][], options: Partial<WhatsAppCloudEmulatorOptions> = {}): Promise<Setup> {
  const emulator = await startWhatsAppCloudEmulator({ templates: [GREETING], customers: emulatedCustomers(new Map(scripts)), pairIntervalMs: 0, ...options });
  const webhooks = await captureWhatsAppWebhooks(emulator.appSecret);
  emulator.useWebhooks({ url: webhooks.url });
  const s = { emulator, webhooks, client: createWhatsAppCloudClient({ baseUrl: emulator.url, phoneNumberId: emulator.phoneNumberId, accessToken: emulator.accessToken }) };
  open.push(s);
  return s;
}

const statusesOf = (webhooks: CapturedWebhooks, wamid: string) => webhooks.notifications.flatMap((n) => n.statuses).filter((status) => status.wamid === wamid);

const slots: ListMessage = {
  type: 'list',
  header: { type: 'text', text: 'Book a visit' },
  body: { text: 'Which day suits you?' },
  action: { button: 'Pick a day', sections: [{ title: 'This week', rows: [{ id: 'slot-mon', title: 'Monday' }, { id: 'slot-tue', title: 'Tuesday', description: 'Mornings only' }] }] },
};
const consent: ReplyButtonsMessage = {
  type: 'button',
  body: { text: 'May we write to you here from now on?' },
  footer: { text: 'Acme Dental' },
  action: { buttons: [{ type: 'reply', reply: { id: 'consent-yes', title: 'Yes' } }, { type: 'reply', reply: { id: 'consent-no', title: 'No' } }] },
};

describe('WhatsApp customer service window', () => {
  it('delivers a text inside the 24 h after the customer wrote, and passes their message on', async () => {
    const [customer] = numbers(1, 100);
    const { emulator, client, webhooks } = await setup([[customer!, onWhatsApp()]]);
    emulator.customerWrites(customer!, 'Is the clinic open on Friday?');
    await emulator.settled();
    emulator.advanceClock(23 * 3_600_000);
    const sent = await client.sendText({ to: customer!, body: 'Yes, from 9 to 1.', callbackData: 'faq-3' });
    await emulator.settled();

    expect(webhooks.notifications.flatMap((n) => n.messages)).toEqual([
      { providerMessageId: expect.stringMatching(/^wamid\./), from: customer, text: 'Is the clinic open on Friday?', at: expect.any(Date) },
    ]);
    expect(statusesOf(webhooks, sent.wamid).map((status) => status.status)).toContain('read');
    expect(statusesOf(webhooks, sent.wamid).every((status) => status.callbackData === 'faq-3')).toBe(true);
    expect(emulator.messageOutcomes()).toEqual([{ wamid: sent.wamid, to: customer, kind: 'text', delivered: true, read: true }]);
  });

  it('accepts a text outside the window, then reports it failed with 131047; a template still gets through', async () => {
    const [never, lapsed] = numbers(2, 200);
    const { emulator, client, webhooks } = await setup([
      [never!, onWhatsApp()],
      [lapsed!, onWhatsApp()],
    ]);
    emulator.customerWrites(lapsed!, 'hello');
    emulator.advanceClock(DAY_MS + 60_000);
    const toNever = await client.sendText({ to: never!, body: 'Your appointment moved.' });
    const toLapsed = await client.sendInteractive({ to: lapsed!, interactive: consent });
    const template = await client.sendTemplate({ to: lapsed!, template: { name: 'greeting', languageCode: 'en_US' } });
    await emulator.settled();

    for (const { wamid } of [toNever, toLapsed]) {
      expect(wamid).toMatch(/^wamid\./);
      expect(statusesOf(webhooks, wamid)).toEqual([expect.objectContaining({ status: 'failed', errorCodes: [131047] })]);
    }
    expect(statusesOf(webhooks, template.wamid).map((status) => status.status)).toContain('read');
    expect(emulator.messageOutcomes()).toEqual([
      { wamid: toNever.wamid, to: never, kind: 'text', delivered: false, read: false, failedCode: 131047 },
      { wamid: toLapsed.wamid, to: lapsed, kind: 'interactive', delivered: false, read: false, failedCode: 131047 },
      { wamid: template.wamid, to: lapsed, kind: 'template', delivered: true, read: true },
    ]);
  });

  it('opens the window when an emulated customer answers a template, and keeps unread the share readRate leaves', async () => {
    const customers = numbers(6, 300);
    const scripts = customers.map((to): [string, CustomerScript] => [to, onWhatsApp()]);
    const [replier] = numbers(1, 400);
    scripts.push([replier!, onWhatsApp()], [whatsAppAddress(replier!), onWhatsApp([{ text: 'ok', delayMs: 5 }])]);
    const { emulator, client, webhooks } = await setup(scripts, { statuses: { readRate: 0, seed: 3 } });
    for (const to of customers) emulator.customerWrites(to, 'hi');
    await Promise.all(customers.map((to) => client.sendText({ to, body: 'Thanks, we will call you.' })));
    await client.sendTemplate({ to: replier!, template: { name: 'greeting', languageCode: 'en_US' } });
    await emulator.settled();
    const text = await client.sendText({ to: replier!, body: 'Great, see you soon.' });
    await emulator.settled();

    const outcomes = emulator.messageOutcomes();
    expect(outcomes.filter((o) => customers.includes(o.to)).every((o) => o.delivered && !o.read)).toBe(true);
    expect(webhooks.notifications.flatMap((n) => n.statuses).filter((s) => customers.includes(`+${s.waId}`)).map((s) => s.status)).not.toContain('read');
    expect(outcomes.find((o) => o.to === replier && o.kind === 'template')).toMatchObject({ delivered: true, read: true, repliedAt: expect.any(Number) });
    expect(statusesOf(webhooks, text.wamid).map((status) => status.status)).not.toContain('failed');
  });
});

describe('WhatsApp interactive messages', () => {
  const invalid: [string, InteractiveMessage][] = [
    ['no reply button', { ...consent, action: { buttons: [] } }],
    ['four reply buttons', { ...consent, action: { buttons: ['a', 'b', 'c', 'd'].map((id) => ({ type: 'reply' as const, reply: { id, title: id } })) } }],
    ['a button title over 20 characters', { ...consent, action: { buttons: [{ type: 'reply', reply: { id: 'x', title: 'Yes, please write me here' } }] } }],
    ['two buttons with one title', { ...consent, action: { buttons: [{ type: 'reply', reply: { id: 'a', title: 'Yes' } }, { type: 'reply', reply: { id: 'b', title: 'Yes' } }] } }],
    ['a button id over 256 characters', { ...consent, action: { buttons: [{ type: 'reply', reply: { id: 'i'.repeat(257), title: 'Yes' } }] } }],
    ['a body over 1,024 characters', { ...consent, body: { text: 'b'.repeat(1025) } }],
    ['a footer over 60 characters', { ...consent, footer: { text: 'f'.repeat(61) } }],
    ['a list button label over 20 characters', { ...slots, action: { ...slots.action, button: 'Pick the day that suits' } }],
    ['eleven sections', { ...slots, action: { ...slots.action, sections: Array.from({ length: 11 }, (_, i) => ({ title: `S${i}`, rows: [{ id: `r${i}`, title: `Row ${i}` }] })) } }],
    [
      'eleven rows across two sections',
      {
        ...slots,
        action: {
          ...slots.action,
          sections: [0, 1].map((s) => ({ title: `Week ${s}`, rows: Array.from({ length: s === 0 ? 6 : 5 }, (_, i) => ({ id: `w${s}-${i}`, title: `Day ${i}` })) })),
        },
      },
    ],
    ['two sections, one without a title', { ...slots, action: { ...slots.action, sections: [{ rows: [{ id: 'a', title: 'A' }] }, { title: 'B', rows: [{ id: 'b', title: 'B' }] }] } }],
    ['a row title over 24 characters', { ...slots, action: { ...slots.action, sections: [{ rows: [{ id: 'a', title: 'Monday the ninth of June!' }] }] } }],
    ['a row description over 72 characters', { ...slots, action: { ...slots.action, sections: [{ rows: [{ id: 'a', title: 'A', description: 'd'.repeat(73) }] }] } }],
    ['a row id over 200 characters', { ...slots, action: { ...slots.action, sections: [{ rows: [{ id: 'r'.repeat(201), title: 'A' }] }] } }],
    ['two rows with one id', { ...slots, action: { ...slots.action, sections: [{ rows: [{ id: 'a', title: 'A' }, { id: 'a', title: 'B' }] }] } }],
    ['a list with an image header', { ...slots, header: { type: 'image', image: { link: 'https://acme.example.com/a.png' } } as unknown as ListMessage['header'] }],
  ];

  it.each(invalid)('refuses %s for good with 131009 and what is wrong', async (_, interactive) => {
    const [customer] = numbers(1, 500);
    const { emulator, client } = await setup([[customer!, onWhatsApp()]]);
    emulator.customerWrites(customer!, 'hi');
    const failure = await applicationFailureOf(client.sendInteractive({ to: customer!, interactive }));

    expect(failure).toMatchObject({ type: 'WhatsAppRejected', nonRetryable: true, details: [{ code: 131009 }] });
    expect(failure.message).toContain('interactive.');
    expect(emulator.messageOutcomes()).toEqual([]);
  });

  it("passes on the button and the list row a customer picks, with our ids and the message they answer", async () => {
    const [picker, tapper] = numbers(2, 600);
    const { emulator, client, webhooks } = await setup([
      [picker!, onWhatsApp()],
      [whatsAppAddress(picker!), onWhatsApp([{ text: 'Tuesday', delayMs: 5 }])],
      [tapper!, onWhatsApp()],
      [whatsAppAddress(tapper!), onWhatsApp([{ text: 'yes', delayMs: 5 }])],
    ]);
    emulator.customerWrites(picker!, 'I want to book');
    emulator.customerWrites(tapper!, 'hello');
    const list = await client.sendInteractive({ to: picker!, interactive: slots });
    const buttons = await client.sendInteractive({ to: tapper!, interactive: consent });
    await emulator.settled();

    const replies = webhooks.notifications.flatMap((n) => n.messages).filter((message) => message.reply !== undefined);
    expect(replies).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ from: picker, text: 'Tuesday', reply: { kind: 'list_reply', id: 'slot-tue', title: 'Tuesday' }, inReplyTo: list.wamid }),
        expect.objectContaining({ from: tapper, text: 'Yes', reply: { kind: 'button_reply', id: 'consent-yes', title: 'Yes' }, inReplyTo: buttons.wamid }),
      ]),
    );
    expect(replies).toHaveLength(2);
  });
});
