import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadBotFlow } from '../flows/load-bot-flow.ts';
import { runSandboxScript } from './run-sandbox-script.ts';
import { loadSandboxScript, readSandboxScript, ScriptError } from './sandbox-script.ts';
import { sandboxReportText } from './sandbox-report.ts';

const example = (name: string) => fileURLToPath(new URL(`../examples/flows/${name}`, import.meta.url));
const supportBot = await loadBotFlow(example('support-bot.viber.json'));
const context = { name: 'Maria', status: 'shipped', delivery_date: '12 March', email: 'maria@example.com' };

describe('runSandboxScript', () => {
  it('passes every step of the example script through the converted Viber support bot', async () => {
    const report = runSandboxScript(supportBot, await loadSandboxScript(example('support-bot.passing.json')));
    expect(report.steps.map((step) => [step.step, step.pass])).toEqual([[0, true], [1, true], [2, true], [3, true], [4, true], [5, true]]);
    expect(report.steps.at(-1)).toMatchObject({ route: { next: 'handover', by: 'otherwise' }, handover: true });
  });

  it('passes the Arabic example script', async () => {
    const report = runSandboxScript(await loadBotFlow(example('support-ar.flow.json')), await loadSandboxScript(example('support-ar.passing.json')));
    expect(report.failed, sandboxReportText(report)).toBe(0);
  });

  it('shows which step of the failing example failed and why', async () => {
    const report = runSandboxScript(supportBot, await loadSandboxScript(example('support-bot.failing.json')));
    expect(report).toMatchObject({ passed: 5, failed: 1 });
    expect(report.steps.filter((step) => !step.pass)).toEqual([
      expect.objectContaining({
        step: 3,
        user: 'Main menu',
        failures: ['expected a button message, got a list message: WhatsApp reply buttons hold at most 3, and this message offers 4 choices'],
      }),
    ]);
    const text = sandboxReportText(report);
    expect(text).toContain('step 3  FAIL  "Main menu" → welcome:');
    expect(text).toContain('6 steps: 5 passed, 1 failed');
  });

  it('explains a wrong route with the rule the bot followed, and fails the steps after a handover', () => {
    const script = readSandboxScript(
      {
        context,
        steps: [
          { user: 'I want to speak to a human', expect: { intent: 'help' } },
          { user: 'Hello?', expect: { intent: 'help' } },
        ],
      },
      'script.json',
    );
    const report = runSandboxScript(supportBot, script);
    expect(report.steps.slice(1).map((step) => step.failures)).toEqual([
      ['expected intent "help", got "handover" ("I want to speak to a human" matched "agent|human|operator")'],
      ['the bot\'s part ended at step 1: nothing answers "Hello?"'],
    ]);
  });

  it('fails a step whose message needs a variable the context does not give', () => {
    const report = runSandboxScript(supportBot, readSandboxScript({ context: { name: 'Maria' }, steps: [{ user: 'Track order', expect: {} }, { user: 'NH-1', expect: {} }] }, 'script.json'));
    expect(report.steps[2]!.failures).toEqual(['intent "order_status" needs "status", "delivery_date", which the script\'s context does not give']);
  });

  it('refuses a script with mistakes, naming each', () => {
    expect(() => readSandboxScript({ flow: 'support', steps: [{ user: '', expect: { intnet: 'menu', message: 'card' } }] }, 'script.json')).toThrow(
      new ScriptError(`script.json: 3 problems
  step 1.user: what the customer sends
  step 1.expect.intnet: not something to expect (intent, text, buttons, message, handover)
  step 1.expect.message: "text", "button" or "list"`),
    );
    expect(() => runSandboxScript(supportBot, readSandboxScript({ flow: 'sales', steps: [{ user: 'Hi', expect: {} }] }, 'script.json'))).toThrow(
      'the script is for flow "sales", but this flow is "Nordhaven Store support"',
    );
  });
});
