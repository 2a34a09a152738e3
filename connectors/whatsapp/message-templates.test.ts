import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { listenOnLoopback } from '../loopback-server.ts';
import { emulatedCustomers } from '../emulated-customers.ts';
import { applicationFailureOf } from '../../test/support/rejections.ts';
import { captureWhatsAppWebhooks, type CapturedWebhooks } from './captured-webhooks.ts';
import { createWhatsAppCloudClient, type WhatsAppCloudClient } from './cloud-client.ts';
import { startWhatsAppCloudEmulator, type WhatsAppCloudEmulator, type WhatsAppCloudEmulatorOptions } from './cloud-emulator.ts';
import type { MessageTemplateDefinition, TemplateComponent } from './message-template.ts';
import type { TemplateStatusUpdate } from './cloud-webhook.ts';
import { whatsAppWebhookRoute } from './webhook-route.ts';
import { createWhatsAppTemplatesClient, TEMPLATE_EXISTS, TEMPLATE_REFUSED, type WhatsAppTemplatesClient } from './templates-client.ts';

const DAY_MS = 24 * 3_600_000;
const CUSTOMER = '+971501234567';

interface Setup {
  emulator: WhatsAppCloudEmulator;
  templates: WhatsAppTemplatesClient;
  messages: WhatsAppCloudClient;
  webhooks: CapturedWebhooks;
}

let open: Setup[] = [];
afterEach(async () => {
  await Promise.all(open.map(async ({ emulator, webhooks }) => (await emulator.close(), await webhooks.close())));
  open = [];
});

async function setup(options: Partial<WhatsAppCloudEmulatorOptions> = {}): Promise<Setup> {
  const emulator = await startWhatsAppCloudEmulator({ customers: emulatedCustomers(new Map([[CUSTOMER, { answers: [], onWhatsApp: true }]])), ...options });
  const webhooks = await captureWhatsAppWebhooks(emulator.appSecret);
  emulator.useWebhooks({ url: webhooks.url });
  const account = { baseUrl: emulator.url, accessToken: emulator.accessToken };
  const s = {
    emulator,
    webhooks,
    templates: createWhatsAppTemplatesClient({ ...account, businessAccountId: emulator.businessAccountId }),
    messages: createWhatsAppCloudClient({ ...account, phoneNumberId: emulator.phoneNumberId }),
  };
  open.push(s);
  return s;
}

const BODY = 'Hello {{1}}, Acme Dental now answers on WhatsApp. Reply here to book your visit on {{2}} or ask us anything.';

function notice(name = 'move_notice_v2', replace: Partial<Record<TemplateComponent['type'], TemplateComponent | null>> = {}, extra: Partial<MessageTemplateDefinition> = {}): MessageTemplateDefinition {
  const components: TemplateComponent[] = [
    { type: 'HEADER', format: 'TEXT', text: 'News from {{1}}', example: { header_text: ['Acme Dental'] } },
    { type: 'BODY', text: BODY, example: { body_text: [['Layla', 'Monday']] } },
    { type: 'FOOTER', text: 'Reply STOP to opt out' },
    {
      type: 'BUTTONS',
      buttons: [
        { type: 'QUICK_REPLY', text: 'Yes please' },
        { type: 'QUICK_REPLY', text: 'Stop' },
        { type: 'URL', text: 'Book online', url: 'https://acme.example.com/book/{{1}}', example: ['https://acme.example.com/book/abc'] },
      ],
    },
  ];
  const chosen = components.flatMap((component) => {
    const replacement = replace[component.type];
    return replacement === undefined ? [component] : replacement === null ? [] : [replacement];
  });
  return { name, language: 'en_US', category: 'UTILITY', components: chosen, ...extra };
}

const body = (text: string, example?: string[][]): TemplateComponent => ({ type: 'BODY', text, ...(example === undefined ? {} : { example: { body_text: example } }) });
const buttons = (...list: Extract<TemplateComponent, { type: 'BUTTONS' }>['buttons']): TemplateComponent => ({ type: 'BUTTONS', buttons: list });
const quickReply = (text: string) => ({ type: 'QUICK_REPLY' as const, text });
const url = (text: string) => ({ type: 'URL' as const, text, url: 'https://acme.example.com/help' });
const phone = { type: 'PHONE_NUMBER' as const, text: 'Call us', phone_number: '+97142345678' };
const authentication = (components: TemplateComponent[]): MessageTemplateDefinition => ({ name: 'login_code', language: 'en', category: 'AUTHENTICATION', components });
const otp = buttons({ type: 'OTP', otp_type: 'COPY_CODE', text: 'Copy code' });

describe('WhatsApp template creation: every rule Meta applies', () => {
  const refused: [string, MessageTemplateDefinition, number | undefined][] = [
    ['a name with capitals', notice('Move_Notice'), undefined],
    ['a name longer than 512', notice('a'.repeat(513)), undefined],
    ['an unknown language', notice('move_notice', {}, { language: 'english' }), undefined],
    ['an unknown category', notice('move_notice', {}, { category: 'PROMOTION' as 'UTILITY' }), undefined],
    ['no body', notice('move_notice', { BODY: null }), undefined],
    ['a body over 1,024 characters', notice('move_notice', { BODY: body(`Hello ${'a'.repeat(1020)}`) }), 2388040],
    ['a text header over 60 characters', notice('move_notice', { HEADER: { type: 'HEADER', format: 'TEXT', text: 'N'.repeat(61) } }), 2388040],
    ['a text header with two variables', notice('move_notice', { HEADER: { type: 'HEADER', format: 'TEXT', text: 'From {{1}} to {{2}}', example: { header_text: ['a', 'b'] } } }), 2388047],
    ['an image header without a sample', notice('move_notice', { HEADER: { type: 'HEADER', format: 'IMAGE', example: { header_handle: [] } } }), 2388047],
    ['a footer over 60 characters', notice('move_notice', { FOOTER: { type: 'FOOTER', text: 'f'.repeat(61) } }), 2388040],
    ['a footer with a variable', notice('move_notice', { FOOTER: { type: 'FOOTER', text: 'Order {{1}}' } }), 2388073],
    ['a body starting with a variable', notice('move_notice', { BODY: body('{{1}}, Acme Dental now answers on WhatsApp. Reply here to book your visit anytime.', [['Layla']]) }), 2388299],
    ['a body ending with a variable', notice('move_notice', { BODY: body('Hello, Acme Dental now answers on WhatsApp. Reply here to book your visit on {{1}}.', [['Monday']]) }), 2388299],
    ['adjacent variables', notice('move_notice', { BODY: body('Hello {{1}} {{2}}, Acme Dental now answers on WhatsApp. Reply here to book your visit.', [['Layla', 'Haddad']]) }), 2388072],
    ['variables out of sequence', notice('move_notice', { BODY: body('Hello {{1}}, Acme Dental now answers on WhatsApp. Reply here to book your visit on {{3}} or ask us.', [['Layla', 'Monday']]) }), 2388072],
    ['named variables without parameter_format', notice('move_notice', { BODY: body('Hello {{first_name}}, Acme Dental now answers on WhatsApp. Reply here to book.') }), 2388072],
    ['numbers in a named template', notice('move_notice', { HEADER: null }, { parameter_format: 'named' }), 2388072],
    [
      'a named variable without its example',
      notice('move_notice', { HEADER: null, BODY: { type: 'BODY', text: 'Hello {{first_name}}, Acme Dental now answers on WhatsApp. Reply here to book.', example: { body_text_named_params: [{ param_name: 'clinic', example: 'Acme' }] } } }, { parameter_format: 'named' }),
      2388072,
    ],
    ['variables without examples', notice('move_notice', { BODY: body(BODY) }), 2388072],
    ['fewer examples than variables', notice('move_notice', { BODY: body(BODY, [['Layla']]) }), 2388072],
    ['too many variables for the length', notice('move_notice', { BODY: body('Hi {{1}}, code {{2}} and {{3}} ok', [['a', 'b', 'c']]) }), 2388293],
    ['eleven buttons', notice('move_notice', { BUTTONS: buttons(...Array.from({ length: 11 }, (_, i) => quickReply(`Option ${i}`))) }), undefined],
    ['three URL buttons', notice('move_notice', { BUTTONS: buttons(url('Help'), url('Book'), url('Prices')) }), undefined],
    ['two phone buttons', notice('move_notice', { BUTTONS: buttons(phone, { ...phone, text: 'Call again' }) }), undefined],
    ['quick replies split by a URL button', notice('move_notice', { BUTTONS: buttons(quickReply('Yes'), url('Help'), quickReply('No')) }), undefined],
    ['a button text over 25 characters', notice('move_notice', { BUTTONS: buttons(quickReply('Yes, move me to WhatsApp now')) }), 2388040],
    ['a URL button with no web address', notice('move_notice', { BUTTONS: buttons({ type: 'URL', text: 'Help', url: 'acme dental help' }) }), undefined],
    ['a URL with a variable but no sample', notice('move_notice', { BUTTONS: buttons({ type: 'URL', text: 'Book', url: 'https://acme.example.com/book/{{1}}' }) }), undefined],
    ['an OTP button outside authentication', notice('move_notice', { BUTTONS: otp }), undefined],
    ['an authentication template with body text', authentication([body('Your code is {{1}} and it works for ten minutes.', [['123456']]), otp]), undefined],
    ['an authentication template without its OTP button', authentication([{ type: 'BODY', add_security_recommendation: true }]), undefined],
    ['an authentication code expiring after 90 minutes', authentication([{ type: 'BODY' }, { type: 'FOOTER', code_expiration_minutes: 120 }, otp]), undefined],
  ];

  it.each(refused)('refuses %s, for good, with Meta code 100 and its words for a person', async (_, definition, subcode) => {
    const { templates, emulator } = await setup();
    const failure = await applicationFailureOf(templates.createTemplate(definition));

    expect(failure).toMatchObject({ type: TEMPLATE_REFUSED, nonRetryable: true, details: [{ code: 100, ...(subcode === undefined ? {} : { subcode }) }] });
    expect(failure.message).toMatch(/code 100/);
    expect(emulator.createdTemplates()).toEqual([]);
  });

  it("answers in Meta's error envelope", async () => {
    const { emulator } = await setup();
    const response = await fetch(`${emulator.url}/v23.0/${emulator.businessAccountId}/message_templates`, {
      method: 'POST',
      headers: { authorization: `Bearer ${emulator.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(notice('move_notice', { BODY: body('{{1}}, Acme Dental now answers on WhatsApp. Reply here to book your visit anytime.', [['Layla']]) })),
    });

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: {
        message: 'Invalid parameter',
        type: 'OAuthException',
        code: 100,
        error_subcode: 2388299,
        is_transient: false,
        error_user_title: expect.any(String),
        error_user_msg: expect.stringContaining("can't be at the start or end"),
        fbtrace_id: expect.any(String),
      },
    });
  });

  it('takes well-formed templates: text, named with an image header, and authentication in OTP shape', async () => {
    const { templates } = await setup();
    const named: MessageTemplateDefinition = {
      name: 'clinic_moved',
      language: 'ar',
      category: 'MARKETING',
      parameter_format: 'named',
      components: [
        { type: 'HEADER', format: 'IMAGE', example: { header_handle: ['4::aW1hZ2UvanBlZw==:ARb'] } },
        {
          type: 'BODY',
          text: 'Hello {{first_name}}, {{clinic}} now answers your questions on WhatsApp. Reply here any time.',
          example: { body_text_named_params: [{ param_name: 'first_name', example: 'Layla' }, { param_name: 'clinic', example: 'Acme Dental' }] },
        },
      ],
    };
    const created = await Promise.all([
      templates.createTemplate(notice()),
      templates.createTemplate(named),
      templates.createTemplate(authentication([{ type: 'BODY', add_security_recommendation: true }, { type: 'FOOTER', code_expiration_minutes: 10 }, otp])),
    ]);

    expect(created).toEqual([
      { id: expect.stringMatching(/^\d{15,16}$/), status: 'PENDING', category: 'UTILITY' },
      { id: expect.any(String), status: 'PENDING', category: 'MARKETING' },
      { id: expect.any(String), status: 'PENDING', category: 'AUTHENTICATION' },
    ]);
  });

  it('refuses a name and language that exist as its own failure, so a resubmission finds the template', async () => {
    const { templates } = await setup();
    const first = await templates.createTemplate(notice());
    const again = await applicationFailureOf(templates.createTemplate(notice()));
    const otherLanguage = await templates.createTemplate({ ...notice(), language: 'ar' });

    expect(again).toMatchObject({ type: TEMPLATE_EXISTS, nonRetryable: true, details: [{ code: 100, subcode: 2388024 }] });
    expect(await templates.findTemplate('move_notice_v2', 'en_US')).toEqual({ id: first.id, name: 'move_notice_v2', language: 'en_US', status: 'PENDING', category: 'UTILITY' });
    expect(otherLanguage.id).not.toBe(first.id);
  });
});

describe('WhatsApp template review', () => {
  const twoDayReview = { templateReview: { delayMs: 2 * DAY_MS } };

  it('keeps a template PENDING until the review, then posts a signed APPROVED notification and lets it be sent', async () => {
    const { templates, messages, emulator, webhooks } = await setup(twoDayReview);
    const created = await templates.createTemplate(notice());
    const early = await applicationFailureOf(messages.sendTemplate({ to: CUSTOMER, template: { name: 'move_notice_v2', languageCode: 'en_US' } }));
    expect((await templates.findTemplate('move_notice_v2', 'en_US'))?.status).toBe('PENDING');

    emulator.advanceClock(2 * DAY_MS);
    await emulator.settled();

    expect(early).toMatchObject({ type: 'WhatsAppRejected', details: [{ code: 132001 }] });
    expect(webhooks.unsigned()).toBe(0);
    expect(webhooks.notifications.flatMap((notification) => notification.templateStatuses)).toEqual([
      { templateId: created.id, name: 'move_notice_v2', language: 'en_US', event: 'APPROVED', reason: 'NONE' },
    ]);
    expect((await templates.findTemplate('move_notice_v2', 'en_US'))?.status).toBe('APPROVED');
    const sent = await messages.sendTemplate({
      to: CUSTOMER,
      template: { name: 'move_notice_v2', languageCode: 'en_US', headerText: 'Acme Dental', bodyParameters: ['Layla', 'Monday'], urlButtonParameters: [{ index: 2, text: 'c-17' }] },
    });
    await emulator.settled();
    expect(emulator.messageOutcomes()).toEqual([{ wamid: sent.wamid, to: CUSTOMER, kind: 'template', delivered: true, read: true }]);
  });

  it("hands the decisions to the webhook route's templateStatuses, after checking the signature", async () => {
    const { templates, emulator } = await setup(twoDayReview);
    const decisions: TemplateStatusUpdate[] = [];
    const events = { message: async () => {}, receipt: async () => {}, whatsAppStatus: async () => {} };
    const handle = whatsAppWebhookRoute({ appSecret: emulator.appSecret, verifyToken: 'verify', events, templateStatuses: async (updates) => void decisions.push(...updates) });
    const route = await listenOnLoopback(createServer((request, response) => void handle(request, response)));
    try {
      emulator.useWebhooks({ url: `${route.url}/webhooks/whatsapp` });
      const created = await templates.createTemplate(notice());
      emulator.advanceClock(2 * DAY_MS);
      await emulator.settled();

      expect(decisions).toEqual([{ templateId: created.id, name: 'move_notice_v2', language: 'en_US', event: 'APPROVED', reason: 'NONE' }]);
    } finally {
      await route.close();
    }
  });

  it('decides on a timer with the real clock (default: approved after a second)', async () => {
    const { templates, emulator, webhooks } = await setup();
    await templates.createTemplate(notice());
    await emulator.settled();

    expect(webhooks.notifications.flatMap((notification) => notification.templateStatuses).map((update) => update.event)).toEqual(['APPROVED']);
  });

  it('loses the notification when told to, and polling finds the template APPROVED', async () => {
    const { templates, emulator, webhooks } = await setup(twoDayReview);
    emulator.dropTemplateWebhooks(true);
    const created = await templates.createTemplate(notice());
    emulator.advanceClock(2 * DAY_MS);
    await emulator.settled();

    expect(webhooks.notifications).toEqual([]);
    expect(await templates.findTemplate('move_notice_v2', 'en_US')).toEqual({ id: created.id, name: 'move_notice_v2', language: 'en_US', status: 'APPROVED', category: 'UTILITY' });
  });

  it('rejects with the reason the review gives, in the notification and the listing', async () => {
    const { templates, emulator, webhooks } = await setup({
      templateReview: { delayMs: DAY_MS, decide: (definition) => (definition.category === 'MARKETING' ? { status: 'REJECTED', reason: 'PROMOTIONAL' } : { status: 'APPROVED' }) },
    });
    const created = await templates.createTemplate(notice('spring_offer', {}, { category: 'MARKETING' }));
    emulator.advanceClock(DAY_MS);
    await emulator.settled();

    expect(webhooks.notifications.flatMap((notification) => notification.templateStatuses)).toEqual([
      { templateId: created.id, name: 'spring_offer', language: 'en_US', event: 'REJECTED', reason: 'PROMOTIONAL' },
    ]);
    expect(await templates.findTemplate('spring_offer', 'en_US')).toMatchObject({ status: 'REJECTED', rejectedReason: 'PROMOTIONAL' });
  });

  it('sends a named template with an image header, and refuses it without its parameter names', async () => {
    const { templates, messages, emulator } = await setup();
    await templates.createTemplate({
      name: 'clinic_moved',
      language: 'en',
      category: 'UTILITY',
      parameter_format: 'named',
      components: [
        { type: 'HEADER', format: 'IMAGE', example: { header_handle: ['4::aW1hZ2UvanBlZw==:ARb'] } },
        {
          type: 'BODY',
          text: 'Hello {{first_name}}, your clinic now answers on WhatsApp. Reply here any time.',
          example: { body_text_named_params: [{ param_name: 'first_name', example: 'Layla' }] },
        },
      ],
    });
    emulator.advanceClock(1000);
    await emulator.settled();
    const template = { name: 'clinic_moved', languageCode: 'en', headerImage: { link: 'https://acme.example.com/logo.png' } };

    const unnamed = await applicationFailureOf(messages.sendTemplate({ to: CUSTOMER, template: { ...template, bodyParameters: ['Layla'] } }));
    const sent = await messages.sendTemplate({ to: CUSTOMER, template: { ...template, namedBodyParameters: [{ name: 'first_name', text: 'Layla' }] } });

    expect(unnamed).toMatchObject({ type: 'WhatsAppRejected', details: [{ code: 132000 }] });
    expect(sent.wamid).toMatch(/^wamid\./);
  });
});

describe('WhatsApp template limits and management', () => {
  it('takes 100 creations an hour, then refuses as retryable until the hour has passed', async () => {
    const { templates, emulator } = await setup();
    for (let i = 0; i < 100; i++) await templates.createTemplate(notice(`notice_${String(i).padStart(3, '0')}`));
    const refused = await applicationFailureOf(templates.createTemplate(notice('notice_100')));
    emulator.advanceClock(3_600_000);
    const later = await templates.createTemplate(notice('notice_100'));

    expect(refused).toMatchObject({ type: 'WhatsAppUnavailable', nonRetryable: false, nextRetryDelay: 3_600_000, details: [{ code: 80008 }] });
    expect(later.status).toBe('PENDING');
  });

  it('holds at most the template limit of names, a second language of a name not counting', async () => {
    const { templates } = await setup({ templateLimit: 2 });
    await templates.createTemplate(notice('first_notice'));
    await templates.createTemplate(notice('second_notice'));
    await templates.createTemplate({ ...notice('second_notice'), language: 'ar' });
    const failure = await applicationFailureOf(templates.createTemplate(notice('third_notice')));

    expect(failure).toMatchObject({ type: TEMPLATE_REFUSED, details: [{ code: 100, subcode: 2388019 }] });
  });

  it('finds a template past the first page of names that contain its name', async () => {
    const { templates } = await setup({ templateCreationsPerHour: 200 });
    for (let i = 0; i < 120; i++) await templates.createTemplate(notice(`offer_${i}`));
    const wanted = await templates.createTemplate(notice('offer'));

    expect((await templates.findTemplate('offer', 'en_US'))?.id).toBe(wanted.id);
    expect(await templates.findTemplate('offer', 'fr')).toBeUndefined();
  });

  it('deletes a template; an approved name stays taken, and deleting what is not there is refused', async () => {
    const { templates, emulator } = await setup();
    const created = await templates.createTemplate(notice());
    emulator.advanceClock(1000);
    await emulator.settled();
    await templates.deleteTemplate('move_notice_v2', created.id);

    expect(await templates.findTemplate('move_notice_v2', 'en_US')).toBeUndefined();
    expect(await applicationFailureOf(templates.createTemplate(notice()))).toMatchObject({ type: TEMPLATE_REFUSED, details: [{ code: 100, subcode: 2388023 }] });
    expect(await applicationFailureOf(templates.deleteTemplate('never_created'))).toMatchObject({ type: TEMPLATE_REFUSED, nonRetryable: true });
  });

  it('refuses a wrong token for good, and another WABA as an unknown object', async () => {
    const { emulator } = await setup();
    const intruder = createWhatsAppTemplatesClient({ baseUrl: emulator.url, businessAccountId: emulator.businessAccountId, accessToken: 'stolen' });
    const elsewhere = createWhatsAppTemplatesClient({ baseUrl: emulator.url, businessAccountId: '999', accessToken: emulator.accessToken });

    expect(await applicationFailureOf(intruder.createTemplate(notice()))).toMatchObject({ type: 'WhatsAppRejected', nonRetryable: true, details: [{ code: 190 }] });
    expect(await applicationFailureOf(elsewhere.findTemplate('move_notice_v2', 'en_US'))).toMatchObject({ nonRetryable: true, details: [{ code: 100, subcode: 33 }] });
  });
});
