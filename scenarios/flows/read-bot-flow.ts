import { fieldName, placeholderNames } from '../placeholders.ts';
import type { BotFlow, FlowButton, FlowIntent, FlowProblem, FlowRouting, FlowVariable } from './bot-flow.ts';
import { followOn, keywordPattern, targetsOf, waitsForUser } from './flow-routing.ts';

/** With problems, `partial` is what could be read, so later checks (the WhatsApp conversion) can report theirs too. */
export type ReadBotFlowResult = { ok: true; flow: BotFlow } | { ok: false; problems: FlowProblem[]; partial?: BotFlow };

const FLOW_FIELDS = ['flow', 'language', 'start', 'intents', 'variables'];
const INTENT_FIELDS = ['intent', 'response', 'footer', 'buttons', 'listButton', 'expects', 'next', 'handover'];
/** A WhatsApp list row id holds at most 200 characters, and a pressed button comes back with the intent name as its id. */
const INTENT_NAME = /^[\p{L}\p{N}_.\-]{1,200}$/u;
const LANGUAGE = /^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$/;
const E164 = /^\+[1-9][0-9]{6,14}$/;

/**
 * A flow in the product's JSON format, checked as a whole: every problem is collected, each naming the intent and
 * the field, so a business fixes its file in one pass.
 */
export function readBotFlow(json: unknown): ReadBotFlowResult {
  const problems: FlowProblem[] = [];
  const problem = (field: string, message: string, intent?: string) => problems.push({ intent, field, message });
  if (!isObject(json)) return { ok: false, problems: [{ field: '(file)', message: 'a flow is a JSON object with "flow", "language", "start" and "intents"' }] };

  unknownFields(json, FLOW_FIELDS, (field) => problem(field, `not a flow field (${FLOW_FIELDS.join(', ')})`));
  const flowName = requiredText(json, 'flow', (message) => problem('flow', message));
  const language = requiredText(json, 'language', (message) => problem('language', message));
  if (language !== undefined && !LANGUAGE.test(language)) problem('language', `"${language}" is not a BCP 47 language like en, en-GB or ar`);
  const start = requiredText(json, 'start', (message) => problem('start', message));
  const variables = readVariables(json.variables, problem);

  const intents: FlowIntent[] = [];
  if (!Array.isArray(json.intents) || json.intents.length === 0) problem('intents', 'a non-empty list of intents is required');
  else json.intents.forEach((raw, index) => {
    const intent = readIntent(raw, index, problem);
    if (!intent) return;
    if (intents.some((known) => known.intent === intent.intent)) problem('intent', 'a second intent with this name; names must be unique', intent.intent);
    else intents.push(intent);
  });

  const names = new Set(intents.map((intent) => intent.intent));
  const known = `(intents: ${[...names].join(', ')})`;
  if (start !== undefined && names.size > 0 && !names.has(start)) problem('start', `"${start}" is not an intent ${known}`);
  for (const intent of intents) {
    intent.buttons.forEach((button, index) => {
      if (button.kind === 'reply' && !names.has(button.next)) problem(`buttons[${index}].next`, `"${button.next}" is not an intent ${known}`, intent.intent);
    });
    for (const { pattern, next } of intent.next?.match ?? []) {
      if (!names.has(next)) problem(`next.match["${pattern}"]`, `"${next}" is not an intent ${known}`, intent.intent);
    }
    const otherwise = intent.next?.otherwise;
    if (otherwise !== undefined && !names.has(otherwise)) problem('next.otherwise', `"${otherwise}" is not an intent ${known}`, intent.intent);
    for (const field of ['response', 'footer'] as const) {
      for (const name of placeholderNames(intent[field] ?? '')) {
        if (!(name in variables)) problem(field, `uses the variable "${name}", which "variables" does not declare`, intent.intent);
      }
    }
  }
  const flow: BotFlow = { flow: flowName ?? '', language: language ?? 'en', start: start ?? '', intents, variables };
  problems.push(...graphProblems(flow));
  return problems.length > 0 ? { ok: false, problems, partial: flow } : { ok: true, flow };
}

function readIntent(raw: unknown, index: number, problem: (field: string, message: string, intent?: string) => void): FlowIntent | undefined {
  if (!isObject(raw)) {
    problem(`intents[${index}]`, 'an intent is an object with "intent" and "response"');
    return undefined;
  }
  const name = typeof raw.intent === 'string' && raw.intent.trim() !== '' ? raw.intent : undefined;
  if (name === undefined) {
    problem(`intents[${index}].intent`, 'every intent needs a name');
    return undefined;
  }
  const at = (field: string, message: string) => problem(field, message, name);
  if (!INTENT_NAME.test(name)) at('intent', 'a name of letters, digits, _ . - (at most 200 characters): WhatsApp carries it back as the reply id');
  unknownFields(raw, INTENT_FIELDS, (field) => at(field, `not an intent field (${INTENT_FIELDS.join(', ')})`));
  const response = requiredText(raw, 'response', (message) => at('response', message));
  const footer = optionalText(raw, 'footer', at);
  const listButton = optionalText(raw, 'listButton', at);
  if (raw.expects !== undefined && raw.expects !== 'text') at('expects', 'only "text" (the bot waits for a typed answer)');
  if (raw.handover !== undefined && typeof raw.handover !== 'boolean') at('handover', 'true or false');
  const buttons = readButtons(raw.buttons, at);
  const next = readRouting(raw.next, at);
  const intent: FlowIntent = { intent: name, response: response ?? '', buttons, handover: raw.handover === true };
  if (footer !== undefined) intent.footer = footer;
  if (listButton !== undefined) intent.listButton = listButton;
  if (raw.expects === 'text') intent.expects = 'text';
  if (next) intent.next = next;

  if (intent.handover) {
    const unused = [buttons.length > 0 && 'buttons', next && 'next', intent.expects && 'expects'].filter(Boolean);
    if (unused.length > 0) at('handover', `a handover ends the bot's part, so its ${unused.join(' and ')} would never be used`);
  } else if (intent.expects === 'text' && next?.otherwise === undefined && (next?.match.length ?? 0) === 0) {
    at('expects', 'the bot waits for text but "next" says nowhere it leads');
  }
  return intent;
}

function readButtons(raw: unknown, at: (field: string, message: string) => void): FlowButton[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    at('buttons', 'a list of buttons');
    return [];
  }
  const buttons: FlowButton[] = [];
  raw.forEach((button, index) => {
    const field = `buttons[${index}]`;
    if (!isObject(button)) return at(field, 'a button is an object with "text" and one of "next", "url", "phone"');
    unknownFields(button, ['text', 'next', 'url', 'phone'], (name) => at(`${field}.${name}`, 'not a button field (text, next, url, phone)'));
    const text = requiredText(button, 'text', (message) => at(`${field}.text`, message));
    const actions = (['next', 'url', 'phone'] as const).filter((action) => button[action] !== undefined);
    if (actions.length !== 1) return at(field, `needs exactly one of "next" (an intent), "url" or "phone"${actions.length > 1 ? `, not ${actions.join(' and ')}` : ''}`);
    const action = actions[0]!;
    const value = requiredText(button, action, (message) => at(`${field}.${action}`, message));
    if (text === undefined || value === undefined) return;
    if (action === 'url' && !/^https?:\/\/\S+$/.test(value)) return at(`${field}.url`, `"${value}" is not an http(s) link`);
    if (action === 'phone' && !E164.test(value)) return at(`${field}.phone`, `"${value}" is not an E.164 number like +971501234567`);
    if (action === 'next') buttons.push({ kind: 'reply', text, next: value });
    else if (action === 'url') buttons.push({ kind: 'url', text, url: value });
    else buttons.push({ kind: 'phone', text, phone: value });
  });
  return buttons;
}

function readRouting(raw: unknown, at: (field: string, message: string) => void): FlowRouting | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw === 'string') return { match: [], otherwise: raw };
  if (!isObject(raw)) {
    at('next', 'an intent name, or { "match": { "pattern": "intent" }, "otherwise": "intent" }');
    return undefined;
  }
  unknownFields(raw, ['match', 'otherwise'], (name) => at(`next.${name}`, 'not a routing field (match, otherwise)'));
  const routing: FlowRouting = { match: [] };
  if (raw.match !== undefined) {
    if (!isObject(raw.match)) at('next.match', 'an object of pattern → intent');
    else for (const [pattern, next] of Object.entries(raw.match)) {
      const field = `next.match["${pattern}"]`;
      if (typeof next !== 'string' || next === '') at(field, 'the intent the pattern leads to');
      else if (pattern.trim() === '') at(field, 'an empty pattern would match everything: use "otherwise"');
      else if (!compiles(pattern)) at(field, 'not a valid regular expression');
      else routing.match.push({ pattern, next });
    }
  }
  const otherwise = optionalText(raw, 'otherwise', (_, message) => at('next.otherwise', message));
  if (otherwise !== undefined) routing.otherwise = otherwise;
  return routing;
}

function readVariables(raw: unknown, problem: (field: string, message: string) => void): Record<string, FlowVariable> {
  const variables: Record<string, FlowVariable> = {};
  if (raw === undefined) return variables;
  if (!isObject(raw)) {
    problem('variables', 'an object of variable name → { "field", "example" }');
    return variables;
  }
  for (const [name, value] of Object.entries(raw)) {
    if (!isObject(value) || (value.field !== undefined && typeof value.field !== 'string') || (value.example !== undefined && typeof value.example !== 'string')) {
      problem(`variables.${name}`, '{ "field": "contact.name", "example": "Maria" } (both optional)');
      continue;
    }
    variables[fieldName(name)] = { ...(value.field === undefined ? {} : { field: value.field }), ...(value.example === undefined ? {} : { example: value.example }) };
  }
  return variables;
}

/**
 * Intents no input reaches, and chains of messages that would loop without the user ever answering. Targets that
 * are not intents were reported already and are skipped here.
 */
function graphProblems(flow: BotFlow): FlowProblem[] {
  const problems: FlowProblem[] = [];
  const byName = new Map(flow.intents.map((intent) => [intent.intent, intent]));
  const reached = new Set([flow.start]);
  const queue = byName.has(flow.start) ? [flow.start] : [];
  while (queue.length > 0) {
    for (const target of targetsOf(byName.get(queue.shift()!)!)) {
      if (!reached.has(target) && byName.has(target)) {
        reached.add(target);
        queue.push(target);
      }
    }
  }
  for (const intent of flow.intents) {
    if (byName.has(flow.start) && !reached.has(intent.intent)) problems.push({ intent: intent.intent, field: 'intent', message: `not reachable from start "${flow.start}": no button or route leads to it` });
  }

  const reported = new Set<string>();
  for (const intent of flow.intents) {
    const chain = [intent.intent];
    for (let next = followOn(intent); next !== undefined && byName.has(next); next = followOn(byName.get(next)!)) {
      if (next === intent.intent) {
        const loop = [...chain, next];
        if (!loop.some((name) => reported.has(name))) problems.push({ intent: intent.intent, field: 'next', message: `a loop without input (${loop.join(' → ')}): the bot would send these forever; let one of them wait for the user` });
        loop.forEach((name) => reported.add(name));
        break;
      }
      if (chain.includes(next)) break;
      chain.push(next);
    }
  }
  return problems;
}

function compiles(pattern: string): boolean {
  try {
    keywordPattern(pattern);
    return true;
  } catch {
    return false;
  }
}

function requiredText(object: Record<string, unknown>, field: string, report: (message: string) => void): string | undefined {
  const value = object[field];
  if (typeof value === 'string' && value.trim() !== '') return value;
  report(value === undefined ? 'missing' : 'a non-empty text');
  return undefined;
}

function optionalText(object: Record<string, unknown>, field: string, at: (field: string, message: string) => void): string | undefined {
  const value = object[field];
  if (value === undefined) return undefined;
  if (typeof value === 'string' && value.trim() !== '') return value;
  at(field, 'a non-empty text');
  return undefined;
}

function unknownFields(object: Record<string, unknown>, known: string[], report: (field: string) => void): void {
  for (const field of Object.keys(object)) if (!known.includes(field)) report(field);
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
