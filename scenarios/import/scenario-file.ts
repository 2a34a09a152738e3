import type { Scenario, ScenarioButton } from '../scenario.ts';
import { FieldReader } from './scenario-fields.ts';
import type { ImportResult } from './import-result.ts';

const FIELDS = ['id', 'channel', 'language', 'text', 'picture', 'header', 'footer', 'buttons', 'variables', 'category'];

/**
 * The product's own format: `{ "scenarios": [ { "id", "channel", "language", "text", ... } ] }`, described in
 * docs/scenarios.md. Unknown fields are errors, so a typo never loses a setting.
 */
export function parseScenarioFile(json: unknown, file: string): ImportResult {
  const result: ImportResult = { scenarios: [], rejected: [] };
  const entries = (json as { scenarios?: unknown } | null)?.scenarios;
  if (typeof json !== 'object' || json === null || !Array.isArray(entries)) {
    result.rejected.push({ origin: file, errors: [{ field: '(file)', reason: 'an object { "scenarios": [ ... ] } is needed' }] });
    return result;
  }
  const extra = Object.keys(json).filter((key) => key !== 'scenarios' && key !== '$schema');
  if (extra.length) result.rejected.push({ origin: file, errors: extra.map((key) => ({ field: key, reason: 'unknown field (expected scenarios)' })) });

  entries.forEach((entry: unknown, index) => {
    const origin = `${file} #${index + 1}`;
    const read = new FieldReader();
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      result.rejected.push({ origin, errors: [{ field: '(scenario)', reason: 'a scenario object is needed' }] });
      return;
    }
    const raw = entry as Record<string, unknown>;
    for (const key of Object.keys(raw)) if (!FIELDS.includes(key)) read.fail(key, `unknown field (expected ${FIELDS.join(', ')})`);
    const id = read.id(raw.id);
    const channel = raw.channel === 'sms' || raw.channel === 'viber' ? raw.channel : read.fail('channel', `${JSON.stringify(raw.channel)}: sms or viber`);
    const language = read.language(raw.language);
    const text = read.text(raw.text, 'text', true);
    const picture = raw.picture === undefined ? undefined : read.httpUrl(raw.picture, 'picture');
    if (picture !== undefined && channel === 'sms') read.fail('picture', 'an SMS has no picture: use channel viber, or remove it');
    const header = read.text(raw.header, 'header', false);
    const footer = read.text(raw.footer, 'footer', false);
    const buttons = readButtons(raw.buttons, read);
    const category = read.category(raw.category);
    const urls = (buttons ?? []).map((b) => (b.kind === 'url' ? b.url : ''));
    const variables = read.variables(raw.variables, [text ?? '', header ?? '', ...urls]);
    if (read.errors.length || id === undefined || channel === undefined || language === undefined || text === undefined) {
      result.rejected.push({ origin, id, errors: read.errors });
      return;
    }
    const scenario: Scenario = { id, channel, language, text, origin };
    if (picture) scenario.picture = picture;
    if (header) scenario.header = header;
    if (footer) scenario.footer = footer;
    if (buttons?.length) scenario.buttons = buttons;
    if (variables) scenario.variables = variables;
    if (category) scenario.category = category;
    result.scenarios.push(scenario);
  });
  return result;
}

/** `{ "reply": "Yes", "payload"? }`, `{ "url": "https://...", "text": "Track" }` or `{ "phone": "+971...", "text": "Call us" }`. */
function readButtons(value: unknown, read: FieldReader): ScenarioButton[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) return read.fail('buttons', 'an array of buttons is needed');
  const buttons: ScenarioButton[] = [];
  value.forEach((raw: unknown, index) => {
    const at = `buttons[${index}]`;
    if (typeof raw !== 'object' || raw === null) return read.fail(at, 'a button object is needed');
    const button = raw as Record<string, unknown>;
    const kinds = ['reply', 'url', 'phone'].filter((kind) => kind in button);
    if (kinds.length !== 1) return read.fail(at, 'exactly one of reply, url or phone is needed');
    const allowed = kinds[0] === 'reply' ? ['reply', 'payload'] : [kinds[0]!, 'text'];
    for (const key of Object.keys(button)) if (!allowed.includes(key)) read.fail(`${at}.${key}`, `unknown field (expected ${allowed.join(', ')})`);
    if (kinds[0] === 'reply') {
      const text = read.text(button.reply, `${at}.reply`, true);
      const payload = read.text(button.payload, `${at}.payload`, false);
      if (text !== undefined) buttons.push(payload === undefined ? { kind: 'reply', text } : { kind: 'reply', text, payload });
    } else if (kinds[0] === 'url') {
      const url = read.httpUrl(button.url, `${at}.url`);
      const text = read.text(button.text, `${at}.text`, true);
      if (url !== undefined && text !== undefined) buttons.push({ kind: 'url', text, url });
    } else {
      const phone = read.text(button.phone, `${at}.phone`, true)?.trim();
      const text = read.text(button.text, `${at}.text`, true);
      if (phone !== undefined && text !== undefined) buttons.push({ kind: 'phone', text, phone });
    }
  });
  return buttons;
}
