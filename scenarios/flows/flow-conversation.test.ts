import { describe, expect, it } from 'vitest';
import { FlowConversation, messageText } from './flow-conversation.ts';
import { prepareBotFlow } from './load-bot-flow.ts';

const support = prepareBotFlow(
  {
    flow: 'support',
    language: 'en',
    start: 'menu',
    variables: { name: { field: 'contact.name' }, status: { field: 'order.status' } },
    intents: [
      {
        intent: 'menu',
        response: 'Hi {{name}}, how can we help?',
        buttons: [{ text: 'Track order', next: 'order_track' }, { text: 'Help', next: 'help' }, { text: 'Website', url: 'https://nordhaven.example' }],
        next: { match: { 'track|where is my order': 'order_track', 'agent|human': 'handover' } },
      },
      { intent: 'order_track', response: 'Your order is {{status}}.', next: 'menu' },
      { intent: 'help', response: 'Tell us the problem', expects: 'text', next: { otherwise: 'handover' } },
      { intent: 'handover', response: 'An agent will reply shortly.', handover: true },
    ],
  },
  'support',
).whatsapp;

const intents = (answer: { messages: { intent: string }[] }) => answer.messages.map((message) => message.intent);

describe('FlowConversation', () => {
  it('opens with the start intent, variables filled', () => {
    const opening = new FlowConversation(support, { name: 'Maria' }).open();
    expect(messageText(opening.messages[0]!.message)).toBe('Hi Maria, how can we help?\n\nWebsite: https://nordhaven.example');
    expect(opening.ended).toBe(false);
  });

  it('routes a pressed button by its id or its title, and typed text by pattern', () => {
    const conversation = new FlowConversation(support, { name: 'Maria', status: 'shipped' });
    conversation.open();
    expect(conversation.answer({ kind: 'reply', id: 'help', title: 'Help' }).route).toEqual({ next: 'help', by: 'button' });

    const typed = new FlowConversation(support, { name: 'Maria', status: 'shipped' });
    typed.open();
    const answer = typed.answer('Where is my order??');
    expect(answer.route).toEqual({ next: 'order_track', by: 'match', pattern: 'track|where is my order' });
    // order_track does not wait: the bot chains straight back to the menu.
    expect(intents(answer)).toEqual(['order_track', 'menu']);
    expect(messageText(answer.messages[0]!.message)).toBe('Your order is shipped.');
    expect(typed.answer('help').route).toEqual({ next: 'help', by: 'button' });
  });

  it('asks the same intent again when nothing routes the text', () => {
    const conversation = new FlowConversation(support, { name: 'Maria' });
    conversation.open();
    const answer = conversation.answer('bonjour');
    expect(answer.route).toEqual({ next: 'menu', by: 'repeat' });
    expect(intents(answer)).toEqual(['menu']);
  });

  it('hands over after the problem is described, and answers nothing more', () => {
    const conversation = new FlowConversation(support, { name: 'Maria' });
    conversation.open();
    conversation.answer('Help');
    const answer = conversation.answer('My parcel is damaged');
    expect(answer).toMatchObject({ route: { next: 'handover', by: 'otherwise' }, handover: 'handover', ended: true });
    expect(() => conversation.answer('hello?')).toThrow("the bot's part of this conversation has ended");
  });

  it('names the variables the context lacks and leaves them as written', () => {
    const opening = new FlowConversation(support, {}).open();
    expect(opening.messages[0]!.missing).toEqual(['name']);
    expect(messageText(opening.messages[0]!.message)).toContain('Hi {{name}},');
  });
});
