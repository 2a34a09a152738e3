import { placeholderNames } from '../placeholders.ts';
import type { FlowProblem } from './bot-flow.ts';
import { isObject } from './read-bot-flow.ts';

const EXPORT_FIELDS = ['bot', 'language', 'start', 'intents'];
const INTENT_FIELDS = ['intent', 'send_message', 'keywords', 'fallback', 'await_text', 'handover'];

export type ViberImportResult = { ok: true; flow: Record<string, unknown>; notes: string[] } | { ok: false; problems: FlowProblem[]; notes: string[] };

/** A Viber bot export: each intent has the `send_message` body the bot answers with (docs/bot-flows.md). */
export function isViberBotExport(json: unknown): boolean {
  return isObject(json) && Array.isArray(json.intents) && json.intents.some((intent) => isObject(intent) && intent.send_message !== undefined);
}

/**
 * A Viber bot export in the product's flow format, for `readBotFlow` to check like any flow file. Keyboard buttons:
 * `reply` (its ActionBody names the next intent), `open-url` (a link, or a phone number with `tel:`); the other
 * ActionTypes have no WhatsApp counterpart and are left out with a note each, never silently.
 */
export function importViberBot(json: unknown): ViberImportResult {
  const problems: FlowProblem[] = [];
  const notes: string[] = [];
  if (!isObject(json) || !Array.isArray(json.intents)) {
    return { ok: false, problems: [{ field: '(file)', message: 'a Viber bot export is an object with "intents", each with its "send_message" body' }], notes };
  }
  for (const field of Object.keys(json)) if (!EXPORT_FIELDS.includes(field)) problems.push({ field, message: `not a field of a Viber bot export (${EXPORT_FIELDS.join(', ')})` });
  const names = new Set(json.intents.flatMap((intent) => (isObject(intent) && typeof intent.intent === 'string' ? [intent.intent] : [])));
  const language = typeof json.language === 'string' ? json.language : 'en';
  if (json.language === undefined) notes.push('the export names no language: the flow is taken to be in "en"');

  const variables: Record<string, Record<string, never>> = {};
  const intents = json.intents.map((raw, index) => {
    if (!isObject(raw) || typeof raw.intent !== 'string') {
      problems.push({ field: `intents[${index}]`, message: 'an intent is an object with "intent" and "send_message"' });
      return undefined;
    }
    const name = raw.intent;
    const problem = (field: string, message: string): undefined => {
      problems.push({ intent: name, field, message });
    };
    const note = (message: string): undefined => {
      notes.push(`intent "${name}": ${message}`);
    };
    for (const field of Object.keys(raw)) if (!INTENT_FIELDS.includes(field)) problem(field, `not a field of a Viber bot export's intent (${INTENT_FIELDS.join(', ')})`);
    const body = raw.send_message;
    if (!isObject(body)) return problem('send_message', 'the Viber send_message body the bot answers with');
    if (body.type !== 'text' && body.type !== 'picture') return problem('send_message.type', `"${String(body.type)}" has no WhatsApp interactive counterpart (text and picture messages are imported)`);
    if (typeof body.text !== 'string' || body.text.trim() === '') return problem('send_message.text', 'the text the bot answers with');
    if (body.type === 'picture') note('the picture is left out: the bot flow carries text and buttons');
    for (const variable of placeholderNames(body.text)) variables[variable] = {};

    const buttons = readKeyboard(body.keyboard, names, problem, note);
    const intent: Record<string, unknown> = { intent: name, response: body.text };
    if (buttons.length > 0) intent.buttons = buttons;
    if (raw.await_text === true) intent.expects = 'text';
    const next: Record<string, unknown> = {};
    if (raw.keywords !== undefined) next.match = raw.keywords;
    if (raw.fallback !== undefined) next.otherwise = raw.fallback;
    if (Object.keys(next).length > 0) intent.next = next;
    if (raw.handover !== undefined) intent.handover = raw.handover;
    return intent;
  });
  const found = Object.keys(variables).map((name) => `"${name}"`);
  if (found.length > 0) notes.push(`${found.length === 1 ? 'variable' : 'variables'} ${found.join(', ')} ${found.length === 1 ? 'comes' : 'come'} from the Viber texts: give ${found.length === 1 ? 'it its' : 'each its'} "field" in the flow`);
  if (problems.length > 0) return { ok: false, problems, notes };

  const first = json.intents[0];
  const start = json.start ?? (isObject(first) ? first.intent : undefined);
  const flow: Record<string, unknown> = { flow: json.bot ?? 'viber-bot', language, start, intents, variables };
  return { ok: true, flow, notes };
}

function readKeyboard(keyboard: unknown, intents: Set<string>, problem: (field: string, message: string) => undefined, note: (message: string) => undefined): Record<string, string>[] {
  if (keyboard === undefined) return [];
  if (!isObject(keyboard) || !Array.isArray(keyboard.Buttons)) {
    problem('send_message.keyboard', 'a Viber keyboard: { "Type": "keyboard", "Buttons": [...] }');
    return [];
  }
  const buttons: Record<string, string>[] = [];
  keyboard.Buttons.forEach((button, index) => {
    const field = `send_message.keyboard.Buttons[${index}]`;
    if (!isObject(button)) return problem(field, 'a keyboard button object');
    const action = button.ActionType ?? 'reply';
    const body = typeof button.ActionBody === 'string' ? button.ActionBody.trim() : '';
    const text = typeof button.Text === 'string' ? plainText(button.Text) : '';
    const label = text || body;
    if (action === 'none') return note(`button "${label}" is left out: ActionType "none" is decorative on Viber, nothing to press`);
    if (action === 'share-phone') return note(`button "${label}" is left out: ActionType "share-phone" is not needed, WhatsApp gives the business the customer's number with every message`);
    if (action === 'location-picker') return note(`button "${label}" is left out: ActionType "location-picker" has no WhatsApp reply-button counterpart; ask for the location in the text`);
    if (action !== 'reply' && action !== 'open-url') return problem(`${field}.ActionType`, `"${String(action)}" is not a Viber ActionType this import knows (reply, open-url, share-phone, location-picker, none)`);
    if (text === '') return problem(`${field}.Text`, 'an image-only button has nothing WhatsApp can show as its title: give it Text');
    if (body === '') return problem(`${field}.ActionBody`, action === 'reply' ? 'the intent the button leads to' : 'the link the button opens');
    if (action === 'reply') {
      if (!intents.has(body)) return problem(`${field}.ActionBody`, `"${body}" is not an intent (intents: ${[...intents].join(', ')}); a reply button's ActionBody names the intent it leads to`);
      buttons.push({ text, next: body });
      return;
    }
    if (/^tel:/i.test(body)) buttons.push({ text, phone: body.slice(4).replace(/[\s()-]/g, '') });
    else if (/^https?:\/\//i.test(body)) buttons.push({ text, url: body });
    else note(`button "${text}" is left out: "${body}" opens only inside Viber`);
  });
  return buttons;
}

/** Viber button texts may carry HTML (`<font color>`, `<b>`, `<br>`); WhatsApp titles are plain text. */
function plainText(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, ' ')
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}
