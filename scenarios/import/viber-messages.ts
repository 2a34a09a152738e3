import type { Scenario, ScenarioButton } from '../scenario.ts';
import { FieldReader } from './scenario-fields.ts';
import type { ImportResult } from './import-result.ts';

/**
 * Viber `send_message` bodies as a business stores them, in a JSON array, each with an added `id` and `language`
 * (and optionally `variables` and `category`, as in the product's format). Text and picture messages are read;
 * keyboard buttons become reply, URL and phone buttons. Anything WhatsApp templates have no place for is refused
 * with its reason, never left out quietly.
 */
export function parseViberMessages(json: unknown, file: string): ImportResult {
  const result: ImportResult = { scenarios: [], rejected: [] };
  if (!Array.isArray(json)) {
    result.rejected.push({ origin: file, errors: [{ field: '(file)', reason: 'a JSON array of Viber send_message bodies is needed' }] });
    return result;
  }
  json.forEach((message: unknown, index) => {
    const origin = `${file} #${index + 1}`;
    const read = new FieldReader();
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      result.rejected.push({ origin, errors: [{ field: '(message)', reason: 'a send_message object is needed' }] });
      return;
    }
    const body = message as Record<string, unknown>;
    const id = read.id(body.id);
    const language = read.language(body.language);
    const type = body.type;
    let picture: string | undefined;
    if (type === 'picture') picture = read.httpUrl(body.media, 'media');
    else if (type !== 'text') read.fail('type', `${JSON.stringify(type)}: only text and picture messages become WhatsApp templates`);
    const text = read.text(body.text, 'text', true);
    const buttons = keyboardButtons(body.keyboard, read);
    const category = read.category(body.category);
    const variables = read.variables(body.variables, [text ?? '', ...(buttons ?? []).map((b) => (b.kind === 'url' ? b.url : ''))]);
    if (read.errors.length || id === undefined || language === undefined || text === undefined) {
      result.rejected.push({ origin, id, errors: read.errors });
      return;
    }
    const scenario: Scenario = { id, channel: 'viber', language, text, origin };
    if (picture) scenario.picture = picture;
    if (buttons?.length) scenario.buttons = buttons;
    if (variables) scenario.variables = variables;
    if (category) scenario.category = category;
    result.scenarios.push(scenario);
  });
  return result;
}

function keyboardButtons(keyboard: unknown, read: FieldReader): ScenarioButton[] | undefined {
  if (keyboard === undefined || keyboard === null) return undefined;
  const rawButtons = (keyboard as { Buttons?: unknown }).Buttons;
  if (typeof keyboard !== 'object' || !Array.isArray(rawButtons)) return read.fail('keyboard.Buttons', 'a keyboard needs a Buttons array');
  const buttons: ScenarioButton[] = [];
  rawButtons.forEach((raw: unknown, index) => {
    const at = `keyboard.Buttons[${index}]`;
    if (typeof raw !== 'object' || raw === null) return read.fail(at, 'a button object is needed');
    const button = raw as Record<string, unknown>;
    // Viber's default action is reply.
    const action = button.ActionType ?? 'reply';
    const label = read.text(typeof button.Text === 'string' ? plainText(button.Text) : button.Text, `${at}.Text`, true);
    const actionBody = read.text(button.ActionBody, `${at}.ActionBody`, true)?.trim();
    if (action === 'reply') {
      if (label !== undefined && actionBody !== undefined) buttons.push({ kind: 'reply', text: label, payload: actionBody });
    } else if (action === 'open-url') {
      if (label === undefined || actionBody === undefined) return;
      if (/^tel:/i.test(actionBody)) buttons.push({ kind: 'phone', text: label, phone: actionBody.replace(/^tel:/i, '') });
      else if (/^https?:\/\//i.test(actionBody)) buttons.push({ kind: 'url', text: label, url: actionBody });
      else read.fail(`${at}.ActionBody`, `"${actionBody}": a WhatsApp URL button opens http(s) links, and a phone button needs tel:`);
    } else {
      read.fail(`${at}.ActionType`, `${JSON.stringify(action)} has no WhatsApp template button (only reply, open-url and open-url with tel:): remove it or replace it with one of those`);
    }
  });
  return buttons;
}

/** Viber button labels may carry `<font>`/`<b>` markup and entities; WhatsApp takes plain text. */
function plainText(label: string): string {
  return label
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .trim();
}
