import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeProblem } from './bot-flow.ts';
import { prepareBotFlow } from './load-bot-flow.ts';
import { readBotFlow } from './read-bot-flow.ts';

const example = (name: string) => JSON.parse(readFileSync(new URL(`../examples/flows/${name}`, import.meta.url), 'utf8'));

function problemsOf(json: unknown): string[] {
  const read = readBotFlow(json);
  return read.ok ? [] : read.problems.map(describeProblem);
}

describe('readBotFlow', () => {
  it('reads the Arabic example, with the shorthand "next" and the declared variables', () => {
    const read = readBotFlow(example('support-ar.flow.json'));
    expect(read.ok && read.flow.intents.find((intent) => intent.intent === 'returns')?.next).toEqual({ match: [], otherwise: 'return_registered' });
    expect(read.ok && Object.keys(read.flow.variables)).toEqual(['name', 'status']);
  });

  it('collects every problem at once, each naming the intent and the field', () => {
    const problems = problemsOf({
      flow: 'support',
      language: 'en',
      start: 'menu',
      intents: [
        {
          intent: 'menu',
          response: 'Hi {{name}}, how can we help?',
          buttons: [{ text: 'Track order', next: 'order_trak' }, { text: 'Website', url: 'nordhaven.example' }, { text: 'Both', next: 'help', url: 'https://x.example' }],
          next: { match: { 'track(': 'help' }, otherwise: 'menu' },
        },
        { intent: 'help', response: 'Tell us the problem', expects: 'text', butons: [] },
        { intent: 'handover', response: 'An agent will reply.', handover: true, next: 'menu' },
        { intent: 'menu', response: 'again' },
        { response: 'no name' },
      ],
    });
    expect(problems).toEqual([
      'intent "menu", buttons[1].url: "nordhaven.example" is not an http(s) link',
      'intent "menu", buttons[2]: needs exactly one of "next" (an intent), "url" or "phone", not next and url',
      'intent "menu", next.match["track("]: not a valid regular expression',
      'intent "help", butons: not an intent field (intent, response, footer, buttons, listButton, expects, next, handover)',
      'intent "help", expects: the bot waits for text but "next" says nowhere it leads',
      'intent "handover", handover: a handover ends the bot\'s part, so its next would never be used',
      'intent "menu", intent: a second intent with this name; names must be unique',
      'intents[4].intent: every intent needs a name',
      'intent "menu", buttons[0].next: "order_trak" is not an intent (intents: menu, help, handover)',
      'intent "menu", response: uses the variable "name", which "variables" does not declare',
      'intent "help", intent: not reachable from start "menu": no button or route leads to it',
      'intent "handover", intent: not reachable from start "menu": no button or route leads to it',
    ]);
  });

  it('reports the WhatsApp conversion\'s problems together with the file\'s', () => {
    const flow = {
      flow: 'support',
      language: 'en',
      start: 'menu',
      intents: [
        { intent: 'menu', response: 'Hi {{name}}', buttons: [{ text: 'Opening hours and holidays', next: 'hours' }] },
        { intent: 'hours', response: 'We are open 9 to 5.', next: 'holidays' },
        { intent: 'holidays', response: 'Closed on public holidays.', next: 'hours' },
      ],
    };
    expect(() => prepareBotFlow(flow, 'support.json')).toThrow(`support.json: 3 problems
  intent "menu", response: uses the variable "name", which "variables" does not declare
  intent "hours", next: a loop without input (hours → holidays → hours): the bot would send these forever; let one of them wait for the user
  intent "menu", buttons[0].text: "Opening hours and holidays" has 26 characters; a WhatsApp reply button title holds at most 20: shorten it, for example to "Opening hours and"`);
  });

  it('reports intents nothing leads to and chains of messages that loop without the customer', () => {
    const problems = problemsOf({
      flow: 'support',
      language: 'en',
      start: 'menu',
      intents: [
        { intent: 'menu', response: 'Menu', buttons: [{ text: 'Info', next: 'info' }] },
        { intent: 'info', response: 'We are open 9 to 5.', next: 'more' },
        { intent: 'more', response: 'And on Saturdays.', next: 'info' },
        { intent: 'old_offer', response: 'Last year’s sale', handover: true },
      ],
    });
    expect(problems).toEqual([
      'intent "old_offer", intent: not reachable from start "menu": no button or route leads to it',
      'intent "info", next: a loop without input (info → more → info): the bot would send these forever; let one of them wait for the user',
    ]);
  });

  it('says what a file that is not a flow lacks', () => {
    expect(problemsOf([])).toEqual(['(file): a flow is a JSON object with "flow", "language", "start" and "intents"']);
    expect(problemsOf({ flow: 'x', language: 'english', start: 'a', intents: [] })).toEqual([
      'language: "english" is not a BCP 47 language like en, en-GB or ar',
      'intents: a non-empty list of intents is required',
    ]);
  });
});
