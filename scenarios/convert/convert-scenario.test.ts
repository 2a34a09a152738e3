import { describe, expect, it } from 'vitest';
import type { Scenario } from '../scenario.ts';
import type { AcceptedConversion, Conversion, RefusedConversion } from './conversion.ts';
import { convertScenario } from './convert-scenario.ts';
import { convertScenarios } from './convert-scenarios.ts';
import { creationProblems } from './creation-rules.ts';

const base: Scenario = {
  id: 'order_shipped',
  channel: 'sms',
  language: 'en',
  text: 'Hi {first_name}, your order {order_id} has shipped and will arrive soon. Thank you.',
  origin: 'test',
};

function accepted(conversion: Conversion): AcceptedConversion {
  if (!conversion.ok) throw new Error(`refused: ${JSON.stringify(conversion.problems)}`);
  return conversion;
}

function refused(conversion: Conversion): RefusedConversion {
  if (conversion.ok) throw new Error(`accepted: ${JSON.stringify(conversion.template)}`);
  return conversion;
}

function rules(scenario: Partial<Scenario>): string[] {
  return refused(convertScenario({ ...base, ...scenario })).problems.map((p) => p.rule);
}

describe('a scenario that converts', () => {
  it('numbers placeholders of every written form, with examples and the field behind each', () => {
    const conversion = accepted(convertScenario({ ...base, text: 'Dear [Name], invoice %INVOICE% of {{amount}} is due on {due_date}. Pay online to avoid late fees.' }));
    const body = conversion.template.components.find((c) => c.type === 'BODY');
    expect(body).toEqual({
      type: 'BODY',
      text: 'Dear {{1}}, invoice {{2}} of {{3}} is due on {{4}}. Pay online to avoid late fees.',
      example: { body_text: [['Sarah', 'INV-2024-0391', '$49.90', '31 March']] },
    });
    expect(conversion.variables.map((v) => [v.parameter, v.placeholder, v.field])).toEqual([
      ['1', '[Name]', 'contact.first_name'],
      ['2', '%INVOICE%', 'invoice.id'],
      ['3', '{{amount}}', 'invoice.amount'],
      ['4', '{due_date}', 'invoice.due_date'],
    ]);
    expect(conversion.category).toMatchObject({ suggested: 'UTILITY', chosen: 'UTILITY' });
    expect(creationProblems(conversion.template)).toEqual([]);
  });

  it('writes named parameters on request, from the placeholder or its field', () => {
    const conversion = accepted(
      convertScenario({ ...base, language: 'ar', text: 'مرحباً [الاسم]، تم شحن طلبك رقم [رقم الطلب] وسيصلك خلال يومين. شكراً لك.' }, { parameterFormat: 'named' }),
    );
    expect(conversion.template.parameter_format).toBe('named');
    expect(conversion.template.components[0]).toEqual({
      type: 'BODY',
      text: 'مرحباً {{first_name}}، تم شحن طلبك رقم {{order_id}} وسيصلك خلال يومين. شكراً لك.',
      example: { body_text_named_params: [{ param_name: 'first_name', example: 'سارة' }, { param_name: 'order_id', example: 'ORD-10482' }] },
    });
  });

  it('uses the scenario’s own fields and examples over the defaults', () => {
    const conversion = accepted(convertScenario({ ...base, variables: { order_id: { field: 'shopify.order_name', example: '#1042' } } }));
    expect(conversion.variables[1]).toMatchObject({ field: 'shopify.order_name', fieldFrom: 'scenario', example: '#1042' });
    expect(conversion.variables[0]).toMatchObject({ field: 'contact.first_name', fieldFrom: 'default' });
  });

  it('turns a Viber picture into an image header and buttons into WhatsApp buttons, quick replies grouped', () => {
    const conversion = accepted(
      convertScenario({
        ...base,
        channel: 'viber',
        picture: 'https://cdn.example.com/parcel.jpg',
        buttons: [
          { kind: 'reply', text: 'Confirm', payload: 'confirm' },
          { kind: 'url', text: 'Track', url: 'https://shop.example.com/track/{order_id}' },
          { kind: 'phone', text: 'Call us', phone: 'tel:+971 4 555-1234' },
          { kind: 'reply', text: 'Not now' },
        ],
      }),
    );
    expect(conversion.template.components[0]).toEqual({ type: 'HEADER', format: 'IMAGE', example: { header_handle: ['https://cdn.example.com/parcel.jpg'] } });
    expect(conversion.template.components.at(-1)).toEqual({
      type: 'BUTTONS',
      buttons: [
        { type: 'QUICK_REPLY', text: 'Confirm' },
        { type: 'QUICK_REPLY', text: 'Not now' },
        { type: 'URL', text: 'Track', url: 'https://shop.example.com/track/{{1}}', example: ['https://shop.example.com/track/ORD-10482'] },
        { type: 'PHONE_NUMBER', text: 'Call us', phone_number: '+97145551234' },
      ],
    });
    expect(conversion.variables.at(-1)).toMatchObject({ parameter: '1', component: 'button', buttonIndex: 2, field: 'order.id' });
    expect(conversion.replyPayloads).toEqual([{ index: 0, text: 'Confirm', payload: 'confirm' }]);
    expect(conversion.notes.join('\n')).toMatch(/buttons reordered so the quick replies stand together/);
    expect(conversion.headerImage).toBe('https://cdn.example.com/parcel.jpg');
  });

  it('produces Meta’s authentication shape for a one-time code, with the expiry the text states', () => {
    const conversion = accepted(convertScenario({ ...base, id: 'otp', text: 'Hi {first_name}, {code} is your verification code. It expires in 10 minutes.' }));
    expect(conversion.template).toEqual({
      name: 'otp',
      language: 'en',
      category: 'AUTHENTICATION',
      components: [
        { type: 'BODY', add_security_recommendation: true },
        { type: 'FOOTER', code_expiration_minutes: 10 },
        { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE' }] },
      ],
    });
    expect(conversion.variables).toEqual([{ parameter: '1', component: 'body', placeholder: '{code}', field: 'otp.code', fieldFrom: 'default', example: '482913' }]);
    expect(conversion.notes.join('\n')).toMatch(/not sent: first_name/);
  });

  it('suggests categories from English and Arabic words, and lets the scenario override', () => {
    const category = (text: string, language = 'en') => accepted(convertScenario({ ...base, language, text })).category;
    expect(category('Hi {first_name}, our spring sale starts today with great prices on everything. Reply STOP to opt out.').chosen).toBe('MARKETING');
    expect(category('مرحباً {الاسم}، خصم 20% على جميع المنتجات حتى نهاية الأسبوع. تسوق معنا اليوم.', 'ar').chosen).toBe('MARKETING');
    expect(category('مرحباً {الاسم}، موعدك مع الطبيب غداً الساعة العاشرة صباحاً. نراك قريباً.', 'ar').chosen).toBe('UTILITY');
    expect(category('رمز التحقق الخاص بك هو {code}. لا تشاركه مع أي شخص.', 'ar').chosen).toBe('AUTHENTICATION');
    const overridden = accepted(convertScenario({ ...base, category: 'marketing' })).category;
    expect(overridden).toMatchObject({ suggested: 'UTILITY', chosen: 'MARKETING' });
    expect(overridden.reason).toMatch(/as the scenario says/);
  });

  it('maps BCP 47 tags to Meta’s language codes, noting a fallback', () => {
    const language = (tag: string) => accepted(convertScenario({ ...base, language: tag }));
    expect(language('en-GB').template.language).toBe('en_GB');
    expect(language('pt-br').template.language).toBe('pt_BR');
    expect(language('ar-AE').template.language).toBe('ar_AE');
    const arabic = language('ar-SA');
    expect(arabic.template.language).toBe('ar');
    expect(arabic.notes.join('\n')).toMatch(/"ar-SA" sent as "ar"/);
  });

  it('makes a template name from the id and says so', () => {
    const conversion = accepted(convertScenario({ ...base, id: 'Order Shipped (EU)' }));
    expect(conversion.template.name).toBe('order_shipped_eu');
    expect(conversion.notes[0]).toMatch(/template name "order_shipped_eu" made from id "Order Shipped \(EU\)"/);
  });
});

describe('a scenario refused, with every reason and a fix', () => {
  it('refuses a text that starts or ends with a variable', () => {
    const problems = refused(convertScenario({ ...base, text: '{first_name}, your order has shipped and is on the way to {branch}.' })).problems;
    expect(problems.map((p) => p.rule)).toEqual(['variable-at-start', 'variable-at-end']);
    expect(problems[0]!.suggestion).toBe('put words before {first_name}, like a greeting: "Hi {first_name}, ..."');
  });

  it('refuses adjacent variables', () => {
    expect(rules({ text: 'Welcome [First Name] [Last Name]! Your account is ready to use from today onwards.' })).toEqual(['adjacent-variables']);
  });

  it('refuses too many variables for the words (2n+1 words besides n variables)', () => {
    const problems = refused(convertScenario({ ...base, text: 'Hi {first_name}, order {order_id} for {amount} on {date} ok?' })).problems;
    expect(problems).toEqual([
      { rule: 'variable-density', reason: '4 variables in 5 other words; WhatsApp wants at least 9 words besides 4 variables', suggestion: 'add 4 more words, or use fewer variables' },
    ]);
  });

  it('refuses a variable without an example, naming what to add', () => {
    const problems = refused(convertScenario({ ...base, text: 'Hi {first_name}, your loyalty tier is now {tier}. Thank you for staying with us.' })).problems;
    expect(problems).toEqual([
      { rule: 'example-missing', reason: '{tier} ({{2}}) has no example value; WhatsApp requires one for every variable', suggestion: 'add variables.tier.example' },
    ]);
  });

  it('refuses long texts, headers and footers, and footers with placeholders', () => {
    expect(rules({ text: `Hi {first_name}, ${'your order is on the way. '.repeat(45)}` })).toEqual(['body-length']);
    expect(rules({ header: 'Your order from the Northwind online store has now been shipped' })).toEqual(['header-length']);
    expect(rules({ header: 'Order {order_id} for {first_name}' })).toContain('header-variables');
    expect(rules({ footer: 'Northwind Store · 24/7 customer support · returns within 30 days' })).toEqual(['footer-length']);
    expect(rules({ footer: 'Sent to {first_name}' })).toEqual(['footer-variables']);
  });

  it('refuses too many buttons of a kind, and long or duplicate labels', () => {
    const url = (n: number) => ({ kind: 'url' as const, text: `Link ${n}`, url: `https://shop.example.com/${n}` });
    expect(rules({ buttons: [url(1), url(2), url(3), url(4)] })).toEqual(['buttons-url']);
    expect(rules({ buttons: [{ kind: 'phone', text: 'Call', phone: '+97145551234' }, { kind: 'phone', text: 'Call shop', phone: '+97145551235' }] })).toEqual(['buttons-phone']);
    expect(rules({ buttons: Array.from({ length: 11 }, (_, n) => ({ kind: 'reply' as const, text: `Option ${n}` })) })).toEqual(['buttons-total']);
    const long = refused(convertScenario({ ...base, buttons: [{ kind: 'reply', text: 'Not happy, please call me back' }] })).problems;
    expect(long).toEqual([
      { rule: 'button-text-length', reason: 'button "Not happy, please call me back" is 30 characters; WhatsApp allows 25', suggestion: 'shorten it, like "Not happy, please call me"' },
    ]);
    expect(rules({ buttons: [{ kind: 'reply', text: 'Yes' }, { kind: 'reply', text: 'yes' }] })).toEqual(['button-text-duplicate']);
  });

  it('refuses a URL whose variable is not at its end, and a phone number that is not international', () => {
    expect(rules({ buttons: [{ kind: 'url', text: 'Track', url: 'https://shop.example.com/{order_id}/track' }] })).toEqual(['button-url-variable']);
    expect(rules({ buttons: [{ kind: 'phone', text: 'Call us', phone: '04 555 1234' }] })).toEqual(['button-phone']);
  });

  it('refuses an unknown language and an id with no Latin letters', () => {
    const problems = refused(convertScenario({ ...base, id: 'تأكيد_الطلب', language: 'zh' })).problems;
    expect(problems.map((p) => p.rule)).toEqual(['name', 'language']);
    expect(problems[1]!.suggestion).toBe('use one of zh_CN, zh_HK, zh_TW');
  });

  it('refuses an authentication scenario with no code placeholder, or with buttons', () => {
    expect(rules({ category: 'authentication', text: 'Your login was verified. Welcome back to Northwind.' })).toEqual(['authentication-code']);
    expect(rules({ text: 'Your verification code is {code}.', buttons: [{ kind: 'reply', text: 'Resend' }] })).toEqual(['authentication-content']);
  });

  it('reports all problems at once', () => {
    expect(rules({ text: '{first_name} {last_name} {tier}', buttons: [{ kind: 'reply', text: 'A label far longer than twenty-five' }] })).toEqual([
      'example-missing',
      'variable-at-start',
      'variable-at-end',
      'adjacent-variables',
      'adjacent-variables',
      'variable-density',
      'button-text-length',
    ]);
  });

  it('refuses a second scenario that would take the same name and language', () => {
    const [first, second] = convertScenarios([base, { ...base, id: 'Order-Shipped', origin: 'other' }]);
    expect(first!.ok).toBe(true);
    expect(refused(second!).problems[0]).toMatchObject({ rule: 'name-unique', reason: 'template order_shipped in en is already made from test' });
  });
});
