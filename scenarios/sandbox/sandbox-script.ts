import { readFile } from 'node:fs/promises';
import type { FlowContext } from '../flows/fill-variables.ts';
import { isObject } from '../flows/read-bot-flow.ts';

/**
 * A scripted conversation (docs/bot-flows.md): the bot opens with the flow's start intent, then each step is what
 * the customer sends and what the bot must answer.
 */
export interface SandboxScript {
  /** The flow the script is written for; checked against the flow's name when given. */
  flow?: string;
  /** Variable values for the conversation, like `{ "name": "Maria" }`. */
  context: FlowContext;
  /** What the bot's opening message must be. */
  opening?: Expectation;
  steps: ScriptStep[];
}

export interface ScriptStep {
  /** A button or row title (or its id) presses it; anything else is typed text. */
  user: string;
  expect: Expectation;
}

/** Every check given must hold; none given only checks that the bot answers with all variables filled. */
export interface Expectation {
  /** The intent the bot ends up at (its last message's). */
  intent?: string;
  /** A part of what the bot says, in any of its messages. */
  text?: string;
  /** The button or row titles the bot's last message offers, in order. */
  buttons?: string[];
  /** The kind of the last message: plain text, reply buttons or a list. */
  message?: 'text' | 'button' | 'list';
  /** The bot hands over to an agent (true) or does not (false). */
  handover?: boolean;
}

const SCRIPT_FIELDS = ['flow', 'context', 'opening', 'steps'];
const EXPECT_FIELDS = ['intent', 'text', 'buttons', 'message', 'handover'];

/** A script that cannot be run, with every problem found. */
export class ScriptError extends Error {}

export async function loadSandboxScript(path: string): Promise<SandboxScript> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new ScriptError(`${path}: ${error instanceof SyntaxError ? `not JSON: ${error.message}` : (error as Error).message}`);
  }
  return readSandboxScript(json, path);
}

export function readSandboxScript(json: unknown, origin: string): SandboxScript {
  const problems: string[] = [];
  const fail = () => new ScriptError(`${origin}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${problems.map((problem) => `  ${problem}`).join('\n')}`);
  if (!isObject(json)) {
    problems.push('a script is a JSON object with "steps"');
    throw fail();
  }
  for (const field of Object.keys(json)) if (!SCRIPT_FIELDS.includes(field)) problems.push(`${field}: not a script field (${SCRIPT_FIELDS.join(', ')})`);
  if (json.flow !== undefined && typeof json.flow !== 'string') problems.push('flow: the name of the flow the script is for');
  const context: FlowContext = {};
  if (json.context !== undefined && !isObject(json.context)) problems.push('context: an object of variable name → value');
  else for (const [name, value] of Object.entries(json.context ?? {})) {
    if (typeof value === 'string' || typeof value === 'number') context[name] = String(value);
    else problems.push(`context.${name}: a text or a number`);
  }
  const opening = json.opening === undefined ? undefined : readExpectation(json.opening, 'opening', problems);
  const steps: ScriptStep[] = [];
  if (!Array.isArray(json.steps) || json.steps.length === 0) problems.push('steps: a non-empty list of { "user": "...", "expect": {...} }');
  else json.steps.forEach((step, index) => {
    const at = `step ${index + 1}`;
    if (!isObject(step)) return problems.push(`${at}: { "user": "...", "expect": {...} }`);
    for (const field of Object.keys(step)) if (field !== 'user' && field !== 'expect') problems.push(`${at}.${field}: not a step field (user, expect)`);
    if (typeof step.user !== 'string' || step.user.trim() === '') problems.push(`${at}.user: what the customer sends`);
    const expect = readExpectation(step.expect ?? {}, `${at}.expect`, problems);
    if (typeof step.user === 'string' && expect) steps.push({ user: step.user, expect });
  });
  if (problems.length > 0) throw fail();
  return { ...(typeof json.flow === 'string' ? { flow: json.flow } : {}), context, ...(opening ? { opening } : {}), steps };
}

function readExpectation(raw: unknown, at: string, problems: string[]): Expectation | undefined {
  if (!isObject(raw)) {
    problems.push(`${at}: an object with any of ${EXPECT_FIELDS.join(', ')}`);
    return undefined;
  }
  const before = problems.length;
  for (const field of Object.keys(raw)) if (!EXPECT_FIELDS.includes(field)) problems.push(`${at}.${field}: not something to expect (${EXPECT_FIELDS.join(', ')})`);
  if (raw.intent !== undefined && typeof raw.intent !== 'string') problems.push(`${at}.intent: an intent name`);
  if (raw.text !== undefined && typeof raw.text !== 'string') problems.push(`${at}.text: a part of the bot's text`);
  if (raw.buttons !== undefined && !(Array.isArray(raw.buttons) && raw.buttons.every((title) => typeof title === 'string'))) problems.push(`${at}.buttons: a list of button titles`);
  if (raw.message !== undefined && raw.message !== 'text' && raw.message !== 'button' && raw.message !== 'list') problems.push(`${at}.message: "text", "button" or "list"`);
  if (raw.handover !== undefined && typeof raw.handover !== 'boolean') problems.push(`${at}.handover: true or false`);
  return problems.length > before ? undefined : (raw as Expectation);
}
