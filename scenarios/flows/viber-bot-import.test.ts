import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeProblem } from './bot-flow.ts';
import { prepareBotFlow, BotFlowError } from './load-bot-flow.ts';
import { importViberBot } from './viber-bot-import.ts';

const supportBot = JSON.parse(readFileSync(new URL('../examples/flows/support-bot.viber.json', import.meta.url), 'utf8'));

function viberBot(buttons: Record<string, unknown>[]) {
  return {
    bot: 'shop',
    language: 'en',
    intents: [
      { intent: 'menu', send_message: { type: 'text', text: 'How can we help?', keyboard: { Type: 'keyboard', Buttons: buttons } } },
      { intent: 'help', send_message: { type: 'text', text: 'An agent will reply.' }, handover: true },
    ],
  };
}

describe('importViberBot', () => {
  it('reads the example support bot: reply buttons route by ActionBody, tel: links become phone buttons', () => {
    const imported = importViberBot(supportBot);
    const intents = imported.ok ? (imported.flow.intents as Record<string, unknown>[]) : [];
    expect(intents[0]).toMatchObject({
      intent: 'welcome',
      buttons: [
        { text: 'Track order', next: 'order_track' },
        { text: 'Delivery', next: 'delivery' },
        { text: 'Returns', next: 'returns' },
        { text: 'Help', next: 'help' },
        { text: 'Help centre', url: 'https://nordhaven.example/help' },
      ],
      next: { otherwise: 'welcome' },
    });
    expect(intents.find((intent) => intent.intent === 'returns')?.buttons).toContainEqual({ text: 'Call us', phone: '+97145550123' });
    expect(intents.find((intent) => intent.intent === 'help')).toMatchObject({ expects: 'text', next: { otherwise: 'handover' } });
  });

  it('reports the buttons WhatsApp has no counterpart for instead of dropping them silently', () => {
    const imported = importViberBot(
      viberBot([
        { ActionType: 'reply', ActionBody: 'help', Text: '<font color="#fff">Help</font>' },
        { ActionType: 'share-phone', ActionBody: 'phone', Text: 'Share my number' },
        { ActionType: 'location-picker', ActionBody: 'where', Text: 'Send location' },
        { ActionType: 'none', ActionBody: '', Text: 'Nordhaven' },
        { ActionType: 'open-url', ActionBody: 'viber://pa?chatURI=shop', Text: 'Our channel' },
      ]),
    );
    expect(imported.ok && (imported.flow.intents as Record<string, unknown>[])[0]!.buttons).toEqual([{ text: 'Help', next: 'help' }]);
    expect(imported.notes).toEqual([
      'intent "menu": button "Share my number" is left out: ActionType "share-phone" is not needed, WhatsApp gives the business the customer\'s number with every message',
      'intent "menu": button "Send location" is left out: ActionType "location-picker" has no WhatsApp reply-button counterpart; ask for the location in the text',
      'intent "menu": button "Nordhaven" is left out: ActionType "none" is decorative on Viber, nothing to press',
      'intent "menu": button "Our channel" is left out: "viber://pa?chatURI=shop" opens only inside Viber',
    ]);
  });

  it('refuses reply buttons that name no intent and ActionTypes it does not know', () => {
    const imported = importViberBot(
      viberBot([
        { ActionType: 'reply', ActionBody: 'I need help', Text: 'Help' },
        { ActionType: 'open-map', ActionBody: 'x', Text: 'Map' },
        { ActionType: 'reply', ActionBody: 'help', Image: 'https://nordhaven.example/help.png' },
      ]),
    );
    expect(!imported.ok && imported.problems.map(describeProblem)).toEqual([
      'intent "menu", send_message.keyboard.Buttons[0].ActionBody: "I need help" is not an intent (intents: menu, help); a reply button\'s ActionBody names the intent it leads to',
      'intent "menu", send_message.keyboard.Buttons[1].ActionType: "open-map" is not a Viber ActionType this import knows (reply, open-url, share-phone, location-picker, none)',
      'intent "menu", send_message.keyboard.Buttons[2].Text: an image-only button has nothing WhatsApp can show as its title: give it Text',
    ]);
  });

  it('checks the imported flow like any flow file', () => {
    const bot = viberBot([{ ActionType: 'reply', ActionBody: 'help', Text: 'Help' }]);
    bot.intents.push({ intent: 'orphan', send_message: { type: 'text', text: 'Nobody gets here' }, handover: true });
    expect(() => prepareBotFlow(bot, 'bot.json')).toThrow(BotFlowError);
    expect(() => prepareBotFlow(bot, 'bot.json')).toThrow('intent "orphan", intent: not reachable from start "menu"');
  });
});
