import { describe, expect, it } from 'vitest';
import { describeProblem } from './bot-flow.ts';
import { readBotFlow } from './read-bot-flow.ts';
import { convertFlowToWhatsApp } from './whatsapp-interactive.ts';

/** A flow whose start intent offers the given buttons, each leading to an intent of its own. */
function menuFlow(buttons: ({ text: string; next: string } | { text: string; url: string } | { text: string; phone: string })[], language = 'en') {
  const targets = [...new Set(buttons.flatMap((button) => ('next' in button && button.next !== 'menu' ? [button.next] : [])))];
  const read = readBotFlow({
    flow: 'support',
    language,
    start: 'menu',
    intents: [{ intent: 'menu', response: 'How can we help?', buttons }, ...targets.map((intent) => ({ intent, response: `About ${intent}`, handover: true }))],
  });
  if (!read.ok) throw new Error(read.problems.map(describeProblem).join('\n'));
  return convertFlowToWhatsApp(read.flow);
}

const choices = (count: number) => Array.from({ length: count }, (_, index) => ({ text: `Choice ${index + 1}`, next: `choice_${index + 1}` }));

describe('convertFlowToWhatsApp', () => {
  it('keeps up to 3 choices as reply buttons whose ids are the target intents', () => {
    const converted = menuFlow(choices(3));
    expect(converted.ok && converted.whatsapp.messages.get('menu')).toEqual({
      type: 'interactive',
      interactive: {
        type: 'button',
        body: { text: 'How can we help?' },
        action: {
          buttons: [
            { type: 'reply', reply: { id: 'choice_1', title: 'Choice 1' } },
            { type: 'reply', reply: { id: 'choice_2', title: 'Choice 2' } },
            { type: 'reply', reply: { id: 'choice_3', title: 'Choice 3' } },
          ],
        },
      },
    });
    expect(converted.ok && converted.whatsapp.messages.get('choice_1')).toEqual({ type: 'text', text: { body: 'About choice_1' } });
  });

  it('turns 4 to 10 choices into a list, and says so', () => {
    const converted = menuFlow(choices(10));
    const menu = converted.ok ? converted.whatsapp.messages.get('menu') : undefined;
    expect(menu?.type === 'interactive' && menu.interactive).toMatchObject({ type: 'list', action: { button: 'Choose', sections: [{ rows: expect.any(Array) }] } });
    expect(menu?.type === 'interactive' && menu.interactive.type === 'list' && menu.interactive.action.sections[0]!.rows[9]).toEqual({ id: 'choice_10', title: 'Choice 10' });
    expect(converted.notes).toEqual(['intent "menu": 10 choices become a WhatsApp list opened by "Choose"']);
  });

  it('refuses more than 10 choices and suggests splitting the menu', () => {
    const converted = menuFlow(choices(11));
    expect(!converted.ok && converted.problems.map(describeProblem)).toEqual([
      'intent "menu", buttons: 11 reply buttons; a WhatsApp list holds at most 10 rows: split the menu, for example 9 choices and a "More" row leading to an intent with the rest',
    ]);
  });

  it('refuses titles over the limit of what they become, with a shorter one to use', () => {
    const long = 'Where is my order now';
    const asButtons = menuFlow([{ text: long, next: 'order' }]);
    expect(!asButtons.ok && asButtons.problems.map(describeProblem)).toEqual([
      `intent "menu", buttons[0].text: "${long}" has 21 characters; a WhatsApp reply button title holds at most 20: shorten it, for example to "Where is my order"`,
    ]);
    // The same title fits a list row (24 characters).
    expect(menuFlow([{ text: long, next: 'order' }, ...choices(3)]).ok).toBe(true);
  });

  it('refuses two buttons with one title or one target', () => {
    const converted = menuFlow([{ text: 'Help', next: 'help' }, { text: 'help ', next: 'agent' }, { text: 'Agent', next: 'help' }]);
    expect(!converted.ok && converted.problems.map(describeProblem)).toEqual([
      'intent "menu", buttons[1].text: "help " is also buttons[0]\'s title; WhatsApp button titles must be unique',
      'intent "menu", buttons[2].next: buttons[0] also leads to "help"; a pressed button arrives as the intent\'s name, so keep one of them',
    ]);
  });

  it('puts link and phone buttons in the text, with a note', () => {
    const converted = menuFlow([{ text: 'Help', next: 'help' }, { text: 'Website', url: 'https://nordhaven.example' }, { text: 'Call us', phone: '+97145550123' }]);
    const menu = converted.ok ? converted.whatsapp.messages.get('menu') : undefined;
    expect(menu?.type === 'interactive' && menu.interactive.body.text).toBe('How can we help?\n\nWebsite: https://nordhaven.example\nCall us: +97145550123');
    expect(converted.notes).toEqual(['intent "menu": "Website", "Call us" appended to the text: WhatsApp reply buttons cannot open a link or dial, and a link in the text is tappable']);
  });

  it('labels the list button in the flow\'s language, or asks for one', () => {
    const arabic = menuFlow(choices(4), 'ar');
    const menu = arabic.ok ? arabic.whatsapp.messages.get('menu') : undefined;
    expect(menu?.type === 'interactive' && menu.interactive.type === 'list' && menu.interactive.action.button).toBe('اختر');
    expect(menuFlow(choices(4), 'ru').notes).toEqual(['intent "menu": 4 choices become a WhatsApp list opened by "Choose" (set "listButton" for a label in the flow\'s language)']);
  });
});
