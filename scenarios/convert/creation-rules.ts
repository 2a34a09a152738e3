import type { ButtonsComponent, MessageTemplateDefinition, TemplateButton } from '../../connectors/whatsapp/message-template.ts';
import type { ConversionProblem } from './conversion.ts';
import { TEMPLATE_LANGUAGES } from '../../connectors/whatsapp/template-languages.ts';
import { TEMPLATE_NAME } from './template-name.ts';

/** How a problem names a parameter: as the scenario wrote it (`[Name]`), and the scenario's variable name. */
export type ParameterLabel = (component: 'body' | 'header' | 'button', parameter: string, buttonIndex?: number) => { shown: string; written: string; name: string };

const VARIABLE = /\{\{\s*([^{}]*?)\s*\}\}/g;
const WORDY = /[\p{L}\p{N}]/u;
/** Named parameters: lowercase letters and underscores, the strictest reading of Meta's rule. */
export const NAMED_PARAMETER = /^[a-z_]+$/;

/** Meta's rule of thumb for variable density: at least 2n+1 words besides n variables (3n+1 words and variables in all). */
export function minimumWords(variables: number): number {
  return 2 * variables + 1;
}

/**
 * Every rule WhatsApp applies when a template is created, checked on the very body that would be POSTed to
 * /{waba-id}/message_templates, so what passes here passes there. Returns all problems, not the first.
 */
export function creationProblems(template: MessageTemplateDefinition, label: ParameterLabel = (_c, p) => ({ shown: `{{${p}}}`, written: `{{${p}}}`, name: p })): ConversionProblem[] {
  const problems: ConversionProblem[] = [];
  const problem = (rule: string, reason: string, suggestion: string) => problems.push({ rule, reason, suggestion });

  if (!TEMPLATE_NAME.test(template.name)) problem('name', `"${template.name}" is not a template name`, 'use lowercase a–z, 0–9 and _, starting with a letter, at most 512 characters');
  if (!TEMPLATE_LANGUAGES.has(template.language)) problem('language', `WhatsApp has no template language "${template.language}"`, 'use a code from WhatsApp\'s supported languages, like en_US or ar');

  const count = (type: string) => template.components.filter((c) => c.type === type).length;
  for (const type of ['HEADER', 'BODY', 'FOOTER', 'BUTTONS']) {
    if (count(type) > 1) problem('components', `${count(type)} ${type} components`, `keep one ${type}`);
  }
  const body = template.components.find((c) => c.type === 'BODY');
  const header = template.components.find((c) => c.type === 'HEADER');
  const footer = template.components.find((c) => c.type === 'FOOTER');
  const buttons = template.components.find((c): c is ButtonsComponent => c.type === 'BUTTONS')?.buttons ?? [];
  if (!body) problem('body-empty', 'no BODY component', 'every template needs a body');

  if (template.category === 'AUTHENTICATION') {
    if (body?.text !== undefined) problem('authentication-content', 'an authentication body has no text of its own', 'leave the body to WhatsApp\'s fixed text ("{{1}} is your verification code.")');
    if (header) problem('authentication-content', 'an authentication template has no header', 'remove the header or picture');
    if (footer && (footer.text !== undefined || !isExpiry(footer.code_expiration_minutes))) {
      problem('authentication-content', 'an authentication footer is only code_expiration_minutes, 1 to 90', 'state the code\'s validity in minutes, 1 to 90, or leave it out');
    }
    if (buttons.length !== 1 || buttons[0]!.type !== 'OTP') problem('authentication-content', 'an authentication template has exactly one button, the one-time-password button', 'remove other buttons');
    return problems;
  }

  const named = template.parameter_format === 'named';
  if (body) {
    const text = body.text ?? '';
    if (text.trim() === '') problem('body-empty', 'the body is empty', 'write the message text');
    if (text.length > 1024) problem('body-length', `the body is ${text.length} characters; WhatsApp allows 1,024`, `shorten it by ${text.length - 1024} characters, or move details behind a URL button`);
    const found = [...text.matchAll(VARIABLE)];
    const parameters = distinct(found.map((m) => m[1]!));
    problems.push(...parameterProblems('body', parameters, named, label));
    problems.push(...exampleProblems('body', parameters, named, body.example?.body_text, body.example?.body_text_named_params, label));
    if (found.length) {
      const first = found[0]!;
      const last = found.at(-1)!;
      if (!WORDY.test(text.slice(0, first.index))) {
        const { shown, written } = label('body', first[1]!);
        problem('variable-at-start', `the text starts with the variable ${shown}`, `put words before ${written}, like a greeting: "Hi ${written}, ..."`);
      }
      if (!WORDY.test(text.slice(last.index + last[0].length))) {
        const { shown, written } = label('body', last[1]!);
        problem('variable-at-end', `the text ends with the variable ${shown} (only punctuation after it)`, `add a closing sentence after ${written}, like "Thank you." or "Reply HELP for help."`);
      }
      for (let i = 1; i < found.length; i++) {
        const before = found[i - 1]!;
        const after = found[i]!;
        if (!WORDY.test(text.slice(before.index + before[0].length, after.index))) {
          const a = label('body', before[1]!);
          const b = label('body', after[1]!);
          problem('adjacent-variables', `${a.shown} and ${b.shown} stand next to each other with no words between them`, `put words between ${a.written} and ${b.written}, or make them one variable (like a full-name field)`);
        }
      }
      const words = text.split(/\s+/).filter((token) => token !== '' && !token.includes('{{') && WORDY.test(token)).length;
      const needed = minimumWords(found.length);
      if (words < needed) {
        problem(
          'variable-density',
          `${found.length} variables in ${words} other words; WhatsApp wants at least ${needed} words besides ${found.length} variables`,
          `add ${needed - words} more words, or use fewer variables`,
        );
      }
    }
  }

  if (header?.format === 'TEXT') {
    const text = header.text;
    if (text.length > 60) problem('header-length', `the header is ${text.length} characters; WhatsApp allows 60`, `shorten it by ${text.length - 60} characters`);
    if (/[\n*_~`]/.test(text)) problem('header-format', 'the header has a line break or formatting (*, _, ~, `)', 'write the header as one plain line');
    const parameters = distinct([...text.matchAll(VARIABLE)].map((m) => m[1]!));
    if (parameters.length > 1) problem('header-variables', `the header has ${parameters.length} variables; WhatsApp allows 1`, 'keep one variable in the header and move the others to the body');
    problems.push(...parameterProblems('header', parameters, named, label));
    problems.push(...exampleProblems('header', parameters, named, header.example?.header_text ? [header.example.header_text] : undefined, header.example?.header_text_named_params, label));
  } else if (header?.format === 'IMAGE' && !header.example.header_handle[0]) {
    problem('header-image', 'an image header needs an example image', 'give the picture\'s URL');
  }

  if (footer) {
    const text = footer.text ?? '';
    if (footer.code_expiration_minutes !== undefined) problem('footer', 'code_expiration_minutes belongs to authentication templates', 'remove it');
    if (text.trim() === '') problem('footer', 'the footer is empty', 'remove the footer or write it');
    if (text.length > 60) problem('footer-length', `the footer is ${text.length} characters; WhatsApp allows 60`, `shorten it by ${text.length - 60} characters, or move it into the body`);
    if (text.search(VARIABLE) !== -1) problem('footer-variables', 'the footer has a variable; WhatsApp footers are fixed text', 'move the variable into the body');
  }

  problems.push(...buttonProblems(buttons, label));
  return problems;
}

function buttonProblems(buttons: TemplateButton[], label: ParameterLabel): ConversionProblem[] {
  const problems: ConversionProblem[] = [];
  const problem = (rule: string, reason: string, suggestion: string) => problems.push({ rule, reason, suggestion });
  if (buttons.length > 10) problem('buttons-total', `${buttons.length} buttons; WhatsApp allows 10`, `remove ${buttons.length - 10} buttons`);
  const urls = buttons.filter((b) => b.type === 'URL').length;
  if (urls > 2) problem('buttons-url', `${urls} URL buttons; WhatsApp allows 2`, `keep 2 URL buttons and put the other ${urls - 2} links in the text`);
  const phones = buttons.filter((b) => b.type === 'PHONE_NUMBER').length;
  if (phones > 1) problem('buttons-phone', `${phones} phone buttons; WhatsApp allows 1`, 'keep one phone button and write the other numbers in the text');
  if (buttons.some((b) => b.type === 'OTP')) problem('buttons-otp', 'a one-time-password button outside an authentication template', 'choose category authentication, or remove it');
  const kinds = buttons.map((b) => b.type === 'QUICK_REPLY');
  const groups = kinds.filter((quick, i) => i === 0 || quick !== kinds[i - 1]).length;
  if (groups > 2) problem('buttons-grouping', 'quick replies and other buttons are interleaved', 'put all quick replies together, before or after the URL and phone buttons');
  const seen = new Set<string>();
  buttons.forEach((button, index) => {
    const text = button.text ?? '';
    if (button.type !== 'OTP' && text.trim() === '') problem('button-text-empty', `button ${index + 1} has no text`, 'give it a label of 1 to 25 characters');
    if (text.length > 25) problem('button-text-length', `button "${text}" is ${text.length} characters; WhatsApp allows 25`, `shorten it, like "${shorten(text, 25)}"`);
    if (/\{\{|\n/.test(text)) problem('button-text-format', `button "${text}" has a variable or a line break`, 'use a fixed one-line label');
    if (seen.has(text.toLowerCase())) problem('button-text-duplicate', `two buttons say "${text}"`, 'give each button its own label');
    seen.add(text.toLowerCase());
    if (button.type === 'URL') {
      const variables = [...button.url.matchAll(VARIABLE)];
      if (!/^https?:\/\/[^\s/{}]+/i.test(button.url) || button.url.length > 2000) problem('button-url', `"${button.url}" is not an http(s) URL of at most 2,000 characters`, 'use a full https:// link');
      if (variables.length > 1 || (variables.length === 1 && (variables[0]![1] !== '1' || !button.url.endsWith(variables[0]![0])))) {
        problem('button-url-variable', `"${button.url}": a URL button has at most one variable, {{1}}, at the very end`, 'move the variable to the end of the URL, or make the URL fixed');
      }
      if (variables.length === 1 && !button.example?.[0]) {
        const { shown, name } = label('button', '1', index);
        problem('example-missing', `${shown} in URL button "${text}" has no example value; WhatsApp requires one`, `add variables.${name}.example`);
      }
    }
    if (button.type === 'PHONE_NUMBER' && !/^\+[1-9]\d{6,18}$/.test(button.phone_number)) {
      problem('button-phone', `"${button.phone_number}" is not a phone number in international form`, 'write it as + country code and number, like +971501234567');
    }
  });
  return problems;
}

function parameterProblems(component: 'body' | 'header', parameters: string[], named: boolean, label: ParameterLabel): ConversionProblem[] {
  const problems: ConversionProblem[] = [];
  if (named) {
    for (const p of parameters.filter((p) => !NAMED_PARAMETER.test(p))) {
      problems.push({ rule: 'named-parameter', reason: `{{${p}}} in the ${component} is not a named parameter (lowercase letters and _)`, suggestion: `rename ${label(component, p).written} to lowercase letters and _, or convert positionally` });
    }
  } else if (parameters.some((p, i) => p !== String(i + 1))) {
    problems.push({ rule: 'sequential-variables', reason: `the ${component}'s variables are ${parameters.map((p) => `{{${p}}}`).join(', ')}, not {{1}}, {{2}}, ... in order`, suggestion: 'number them from 1 in the order they appear' });
  }
  return problems;
}

function exampleProblems(
  component: 'body' | 'header',
  parameters: string[],
  named: boolean,
  positional: string[][] | undefined,
  namedExamples: { param_name: string; example: string }[] | undefined,
  label: ParameterLabel,
): ConversionProblem[] {
  const problems: ConversionProblem[] = [];
  parameters.forEach((p, i) => {
    const example = named ? namedExamples?.find((e) => e.param_name === p)?.example : positional?.[0]?.[i];
    if (!example?.trim()) {
      const { shown, name } = label(component, p);
      problems.push({ rule: 'example-missing', reason: `${shown} has no example value; WhatsApp requires one for every variable`, suggestion: `add variables.${name}.example` });
    }
  });
  const given = named ? (namedExamples?.length ?? 0) : (positional?.[0]?.length ?? 0);
  if (given > parameters.length) problems.push({ rule: 'example-count', reason: `${given} examples for ${parameters.length} variables in the ${component}`, suggestion: 'give one example per variable' });
  return problems;
}

function isExpiry(minutes: number | undefined): boolean {
  return minutes === undefined || (Number.isInteger(minutes) && minutes >= 1 && minutes <= 90);
}

function distinct(values: string[]): string[] {
  return [...new Set(values)];
}

/** A label cut at a word boundary to fit, for a suggestion. */
function shorten(text: string, limit: number): string {
  if (text.length <= limit) return text;
  const words = text.split(/\s+/);
  let short = '';
  for (const word of words) {
    if ((short ? `${short} ${word}` : word).length > limit) break;
    short = short ? `${short} ${word}` : word;
  }
  return short || text.slice(0, limit);
}
