import { FlowConversation, messageText, offeredChoices, type BotAnswer } from '../flows/flow-conversation.ts';
import type { Route } from '../flows/flow-routing.ts';
import type { PreparedFlow } from '../flows/load-bot-flow.ts';
import type { WhatsAppBotMessage } from '../flows/whatsapp-interactive.ts';
import { ScriptError, type Expectation, type SandboxScript } from './sandbox-script.ts';

/** What the bot sent, as a person reads it. */
export interface SentMessage {
  intent: string;
  message: 'text' | 'button' | 'list';
  text: string;
  buttons: string[];
}

export interface StepResult {
  /** 0 is the bot's opening (checked against the script's `opening`, if any); the script's steps count from 1. */
  step: number;
  user?: string;
  /** How the customer's input was routed. */
  route?: Route;
  sent: SentMessage[];
  handover: boolean;
  pass: boolean;
  /** Why the step failed: what was expected and what the bot did. */
  failures: string[];
}

export interface SandboxReport {
  flow: string;
  from: PreparedFlow['from'];
  /** What the import and conversion changed (lists, links in the text, left-out buttons). */
  notes: string[];
  steps: StepResult[];
  passed: number;
  failed: number;
}

/**
 * Plays a script through the converted WhatsApp flow, step by step. A failing step does not stop the run: the
 * conversation goes on where the bot really went, so one report shows every step.
 */
export function runSandboxScript(prepared: PreparedFlow, script: SandboxScript): SandboxReport {
  const { flow } = prepared.whatsapp;
  if (script.flow !== undefined && script.flow !== flow.flow) throw new ScriptError(`the script is for flow "${script.flow}", but this flow is "${flow.flow}"`);
  const conversation = new FlowConversation(prepared.whatsapp, script.context);
  const steps: StepResult[] = [];
  const opening = conversation.open();
  steps.push(result(0, undefined, opening, script.opening ?? {}));
  let endedAt = opening.ended ? 0 : undefined;
  script.steps.forEach(({ user, expect }, index) => {
    const step = index + 1;
    if (endedAt !== undefined) {
      const when = endedAt === 0 ? 'at the opening' : `at step ${endedAt}`;
      steps.push({ step, user, sent: [], handover: false, pass: false, failures: [`the bot's part ended ${when}: nothing answers "${user}"`] });
      return;
    }
    const answer = conversation.answer(user);
    if (answer.ended) endedAt = step;
    steps.push(result(step, user, answer, expect));
  });
  const failed = steps.filter((step) => !step.pass).length;
  return { flow: flow.flow, from: prepared.from, notes: prepared.notes, steps, passed: steps.length - failed, failed };
}

function result(step: number, user: string | undefined, answer: BotAnswer, expect: Expectation): StepResult {
  const sent = answer.messages.map(({ intent, message }) => sentMessage(intent, message));
  const handover = answer.handover !== undefined;
  const failures: string[] = [];
  const last = sent.at(-1)!;
  if (expect.intent !== undefined && expect.intent !== last.intent) failures.push(`expected intent "${expect.intent}", got "${last.intent}"${answer.route ? ` (${routeReason(answer.route, user!)})` : ''}`);
  if (expect.text !== undefined && !sent.some((message) => message.text.includes(expect.text!))) {
    failures.push(`expected the text to contain "${expect.text}", got ${sent.map((message) => `"${message.text}"`).join(' then ')}`);
  }
  if (expect.buttons !== undefined && expect.buttons.join('\n') !== last.buttons.join('\n')) failures.push(`expected buttons ${list(expect.buttons)}, got ${list(last.buttons)}`);
  if (expect.message !== undefined && expect.message !== last.message) {
    const why = last.message === 'list' ? `: WhatsApp reply buttons hold at most 3, and this message offers ${last.buttons.length} choices` : '';
    failures.push(`expected a ${expect.message} message, got a ${last.message} message${why}`);
  }
  if (expect.handover !== undefined && expect.handover !== handover) failures.push(expect.handover ? `expected a handover to an agent, but the bot ${answer.ended ? 'ended without one' : `waits at "${last.intent}"`}` : `expected no handover, but the bot handed over at "${answer.handover}"`);
  for (const { intent, missing } of answer.messages) {
    if (missing.length > 0) failures.push(`intent "${intent}" needs ${missing.map((name) => `"${name}"`).join(', ')}, which the script's context does not give`);
  }
  return { step, ...(user === undefined ? {} : { user }), ...(answer.route ? { route: answer.route } : {}), sent, handover, pass: failures.length === 0, failures };
}

function sentMessage(intent: string, message: WhatsAppBotMessage): SentMessage {
  const kind = message.type === 'text' ? 'text' : message.interactive.type;
  return { intent, message: kind, text: messageText(message), buttons: offeredChoices(message).map((choice) => choice.title) };
}

/** Why the bot went where it did, in the customer's terms. */
export function routeReason(route: Route, user: string): string {
  if (route.by === 'button') return `"${user}" pressed the button for "${route.next}"`;
  if (route.by === 'match') return `"${user}" matched "${route.pattern}"`;
  if (route.by === 'otherwise') return `"${user}" matched no button or pattern, so "otherwise"`;
  return `"${user}" matched no button or pattern and there is no "otherwise", so the bot asked again`;
}

function list(titles: string[]): string {
  return `[${titles.map((title) => `"${title}"`).join(', ')}]`;
}
