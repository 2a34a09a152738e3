import type { TemplateButton } from '../../connectors/whatsapp/message-template.ts';
import { readPlaceholders } from '../placeholders.ts';
import type { Scenario, ScenarioButton } from '../scenario.ts';
import type { AcceptedConversion, ConversionProblem, ConvertedVariable } from './conversion.ts';
import { variableSource } from './variable-source.ts';

export interface TemplateButtons {
  buttons: TemplateButton[];
  variables: ConvertedVariable[];
  replyPayloads: NonNullable<AcceptedConversion['replyPayloads']>;
}

/**
 * Reply → QUICK_REPLY, url → URL (a placeholder at the end of the link becomes its one variable), phone →
 * PHONE_NUMBER. WhatsApp wants quick replies in one group: they are moved together, and a note says so.
 * Counts and lengths are left to the creation rules, which refuse with the reason rather than cut.
 */
export function templateButtons(scenario: Scenario, notes: string[], problems: ConversionProblem[]): TemplateButtons {
  const given = scenario.buttons ?? [];
  const ordered = grouped(given);
  if (ordered.some((button, i) => button !== given[i])) {
    notes.push(`buttons reordered so the quick replies stand together: ${ordered.map((b) => `"${b.text}"`).join(', ')}`);
  }
  const result: TemplateButtons = { buttons: [], variables: [], replyPayloads: [] };
  ordered.forEach((button, index) => {
    const text = button.text.trim();
    if (button.kind === 'reply') {
      result.buttons.push({ type: 'QUICK_REPLY', text });
      if (button.payload !== undefined && button.payload !== text) result.replyPayloads.push({ index, text, payload: button.payload });
    } else if (button.kind === 'phone') {
      result.buttons.push({ type: 'PHONE_NUMBER', text, phone_number: internationalNumber(button.phone) });
    } else {
      result.buttons.push(urlButton(scenario, text, button.url, index, result.variables, notes, problems));
    }
  });
  return result;
}

function grouped(buttons: ScenarioButton[]): ScenarioButton[] {
  const replies = buttons.filter((b) => b.kind === 'reply');
  const others = buttons.filter((b) => b.kind !== 'reply');
  return buttons[0]?.kind === 'reply' ? [...replies, ...others] : [...others, ...replies];
}

function urlButton(
  scenario: Scenario,
  text: string,
  url: string,
  index: number,
  variables: ConvertedVariable[],
  notes: string[],
  problems: ConversionProblem[],
): TemplateButton {
  const parts = readPlaceholders(url);
  const placeholders = parts.filter((part) => part.kind === 'placeholder');
  const last = parts.at(-1);
  if (placeholders.length === 0) return { type: 'URL', text, url };
  if (placeholders.length > 1 || last?.kind !== 'placeholder') {
    problems.push({
      rule: 'button-url-variable',
      reason: `URL button "${text}": ${url} has ${placeholders.length > 1 ? 'several variables' : 'a variable before its end'}; WhatsApp allows one, at the very end`,
      suggestion: 'move the variable to the end of the link (like https://example.com/track/{order_id}), or use a fixed link',
    });
    return { type: 'URL', text, url };
  }
  const prefix = url.slice(0, url.length - last.written.length);
  const origin = variableSource(scenario, last.name, notes);
  variables.push({ parameter: '1', component: 'button', buttonIndex: index, placeholder: last.written, field: origin.field, fieldFrom: origin.fieldFrom, example: origin.example });
  return { type: 'URL', text, url: `${prefix}{{1}}`, example: origin.example ? [`${prefix}${origin.example}`] : [] };
}

/** `tel:+971 50 123-4567` or `00971501234567` as WhatsApp wants it: `+971501234567`. */
function internationalNumber(phone: string): string {
  const compact = phone.replace(/^tel:/i, '').replace(/[\s\-().]/g, '');
  return compact.startsWith('00') ? `+${compact.slice(2)}` : compact;
}
