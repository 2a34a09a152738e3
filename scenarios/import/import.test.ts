import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readScenarioContent, readScenarioFiles } from './read-scenario-files.ts';

describe('SMS export CSV', () => {
  it('reads rows with their line, keeps every bad row with all its errors', () => {
    const csv = [
      'id,language,text,category,variables',
      'order_shipped,en-US,"Hi [Name], your order has shipped,\nand is on its way.",,name=contact.first_name|Sarah',
      'bad_row,english,,urgent,',
      'otp,en,Your code is {code}.,,code=otp.code; amount=invoice.amount',
    ].join('\n');
    const result = readScenarioContent(csv, 'sms.csv');
    expect(result.scenarios).toEqual([
      {
        id: 'order_shipped',
        channel: 'sms',
        language: 'en-US',
        text: 'Hi [Name], your order has shipped,\nand is on its way.',
        variables: { name: { field: 'contact.first_name', example: 'Sarah' } },
        origin: 'sms.csv line 2',
      },
    ]);
    expect(result.rejected).toEqual([
      {
        origin: 'sms.csv line 4',
        id: 'bad_row',
        errors: [
          { field: 'language', reason: '"english" is not a language tag like en, en-GB or ar' },
          { field: 'text', reason: 'missing' },
          { field: 'category', reason: '"urgent" is not one of utility, marketing, authentication' },
        ],
      },
      { origin: 'sms.csv line 5', id: 'otp', errors: [{ field: 'variables.amount', reason: 'no placeholder "amount" in the text (it has code)' }] },
    ]);
  });

  it('names missing and unknown columns', () => {
    const result = readScenarioContent('id,text,sender\na,Hello there', 'sms.csv');
    expect(result.rejected).toEqual([
      {
        origin: 'sms.csv line 1',
        errors: [
          { field: 'language', reason: 'missing column in the header row' },
          { field: 'sender', reason: 'unknown column (expected id, language, text, category, variables)' },
        ],
      },
    ]);
  });
});

describe('Viber messages JSON', () => {
  it('reads text and picture messages with keyboard buttons, refusing the buttons WhatsApp has no place for', () => {
    const messages = [
      {
        id: 'shipped',
        language: 'en',
        type: 'picture',
        media: 'https://cdn.example.com/p.jpg',
        text: 'Hi {name}, your order is on its way.',
        keyboard: {
          Type: 'keyboard',
          Buttons: [
            { ActionType: 'open-url', ActionBody: 'https://shop.example.com/track', Text: '<font color="#fff">Track</font>' },
            { ActionType: 'open-url', ActionBody: 'tel:+97145551234', Text: 'Call us' },
            { ActionBody: 'thanks', Text: 'Thanks' },
          ],
        },
      },
      {
        id: 'share',
        language: 'en',
        type: 'text',
        text: 'Share your number',
        keyboard: { Buttons: [{ ActionType: 'share-phone', ActionBody: 'x', Text: 'Share' }, { ActionType: 'location-picker', ActionBody: 'y', Text: 'Where' }] },
      },
      { id: 'sticker', language: 'en', type: 'sticker', sticker_id: 46105 },
    ];
    const result = readScenarioContent(JSON.stringify(messages), 'viber.json');
    expect(result.scenarios).toEqual([
      {
        id: 'shipped',
        channel: 'viber',
        language: 'en',
        text: 'Hi {name}, your order is on its way.',
        picture: 'https://cdn.example.com/p.jpg',
        buttons: [
          { kind: 'url', text: 'Track', url: 'https://shop.example.com/track' },
          { kind: 'phone', text: 'Call us', phone: '+97145551234' },
          { kind: 'reply', text: 'Thanks', payload: 'thanks' },
        ],
        origin: 'viber.json #1',
      },
    ]);
    expect(result.rejected.map((r) => [r.origin, r.errors.map((e) => e.field)])).toEqual([
      ['viber.json #2', ['keyboard.Buttons[0].ActionType', 'keyboard.Buttons[1].ActionType']],
      ['viber.json #3', ['type', 'text']],
    ]);
    expect(result.rejected[0]!.errors[0]!.reason).toMatch(/"share-phone" has no WhatsApp template button/);
  });
});

describe('the product’s scenario format', () => {
  it('reads every field and refuses unknown ones, wrong channels and bad buttons', () => {
    const file = {
      scenarios: [
        {
          id: 'booking',
          channel: 'viber',
          language: 'ar',
          header: 'تأكيد الحجز',
          text: 'مرحباً {الاسم}، تم تأكيد حجزك.',
          footer: 'فندق النخبة',
          picture: 'https://cdn.example.com/h.jpg',
          buttons: [{ reply: 'تأكيد', payload: 'ok' }, { url: 'https://h.example.com', text: 'الحجز' }, { phone: '+97145551234', text: 'اتصل' }],
          variables: { الاسم: { field: 'contact.first_name', example: 'سارة' } },
          category: 'Utility',
        },
        { id: 'x', channel: 'email', language: 'en', text: 'Hi', colour: 'red', buttons: [{ reply: 'A', url: 'https://a.example.com' }] },
        { id: 'y', channel: 'sms', language: 'en', text: 'Hi', picture: 'https://cdn.example.com/y.jpg' },
      ],
    };
    const result = readScenarioContent(JSON.stringify(file), 'scenarios.json');
    expect(result.scenarios).toHaveLength(1);
    expect(result.scenarios[0]).toMatchObject({ header: 'تأكيد الحجز', footer: 'فندق النخبة', category: 'utility', buttons: [{ kind: 'reply' }, { kind: 'url' }, { kind: 'phone' }] });
    expect(result.rejected).toEqual([
      {
        origin: 'scenarios.json #2',
        id: 'x',
        errors: [
          { field: 'colour', reason: 'unknown field (expected id, channel, language, text, picture, header, footer, buttons, variables, category)' },
          { field: 'channel', reason: '"email": sms or viber' },
          { field: 'buttons[0]', reason: 'exactly one of reply, url or phone is needed' },
        ],
      },
      { origin: 'scenarios.json #3', id: 'y', errors: [{ field: 'picture', reason: 'an SMS has no picture: use channel viber, or remove it' }] },
    ]);
  });

  it('reads files by extension and content, and reports a file that is not JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'scenarios-'));
    await writeFile(join(dir, 'a.csv'), 'id,language,text\nhello,en,Hello {first_name}\n');
    await writeFile(join(dir, 'b.json'), '{ "scenarios": [ { "id": "b", "channel": "sms", "language": "en", "text": "Hi" } ] }');
    await writeFile(join(dir, 'c.json'), '{ not json');
    const result = await readScenarioFiles(['a.csv', 'b.json', 'c.json'].map((name) => join(dir, name)));
    expect(result.scenarios.map((s) => s.id)).toEqual(['hello', 'b']);
    expect(result.rejected).toHaveLength(1);
    expect(result.rejected[0]!.errors[0]!.reason).toMatch(/^neither CSV \(by its extension\) nor valid JSON/);
  });
});
