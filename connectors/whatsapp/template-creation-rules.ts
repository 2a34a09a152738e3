import { TEMPLATE_LANGUAGES } from './template-languages.ts';

/**
 * Why Meta refuses to create a template, as its Business Management API says it: code 100, `message`, and for a
 * person `error_user_title` / `error_user_msg`. The subcodes are the ones Meta and BSPs publish for these rules
 * (2388040 length, 2388047 header, 2388072 body, 2388073 footer, 2388293 variable density, 2388299 leading or
 * trailing variable); rules with no published subcode come without one, as a plain invalid parameter.
 */
export interface TemplateRefusal {
  message: string;
  subcode?: number;
  title: string;
  userMessage: string;
}

export const TEMPLATE_NAME_LIMIT = 512;
export const BODY_LIMIT = 1024;
export const HEADER_TEXT_LIMIT = 60;
export const FOOTER_LIMIT = 60;
export const BUTTON_TEXT_LIMIT = 25;
export const BUTTONS_LIMIT = 10;
export const URL_BUTTONS_LIMIT = 2;
export const PHONE_BUTTONS_LIMIT = 1;
const URL_LIMIT = 2000;
const PHONE_NUMBER_LIMIT = 20;
const CODE_EXPIRATION_MINUTES = { min: 1, max: 90 };

const NAME = /^[a-z0-9_]+$/;
const POSITIONAL = /^[1-9]\d*$/;
const NAMED = /^[a-z][a-z0-9_]*$/;
const VARIABLE = /\{\{([^{}]*)\}\}/g;
/** What Meta looks through when it asks whether text starts or ends with a variable: "… total is {{2}}." ends with one. */
const EDGE_PUNCTUATION = /^[\s.,;:!?¡¿()"'«»\-–—]+|[\s.,;:!?¡¿()"'«»\-–—]+$/g;
const EMOJI = /\p{Extended_Pictographic}/u;
const CATEGORIES = ['AUTHENTICATION', 'MARKETING', 'UTILITY'];
const MEDIA_FORMATS = ['IMAGE', 'VIDEO', 'DOCUMENT'];

const refusal = (title: string, userMessage: string, subcode?: number): TemplateRefusal => ({
  message: 'Invalid parameter',
  title,
  userMessage,
  ...(subcode === undefined ? {} : { subcode }),
});
const tooLong = (field: string, limit: number, length: number) =>
  refusal('Character limit exceeded', `The ${field} is ${length} characters long; it can be at most ${limit}.`, 2388040);
const bodyFormat = (userMessage: string) => refusal('Message body format is incorrect', userMessage, 2388072);

/** Characters as Meta counts them: an emoji or an Arabic letter is one. */
export const characters = (text: string): number => [...text].length;

/** The variables in `text` in order of appearance (`1`, `first_name`), or why they are malformed. */
export function variablesIn(text: string): string[] | { malformed: string } {
  const variables = [...text.matchAll(VARIABLE)].map((match) => match[1]!);
  const rest = text.replace(VARIABLE, '');
  if (rest.includes('{{') || rest.includes('}}')) return { malformed: 'has unbalanced variable braces' };
  const bad = variables.find((variable) => !POSITIONAL.test(variable) && !NAMED.test(variable));
  if (bad !== undefined) return { malformed: `has a variable {{${bad}}} that is neither a number nor a lowercase name` };
  return variables;
}

/**
 * The first rule of Meta's template creation that `body` (a `POST /{waba-id}/message_templates` request) breaks, or
 * undefined when Meta would take it for review. Rules that a reviewer applies later (wording, policy) are the review's.
 */
export function templateCreationRefusal(body: Record<string, unknown>): TemplateRefusal | undefined {
  const { name, language, category, parameter_format: parameterFormat, components } = body;
  if (name === undefined || name === '') return { message: '(#100) The parameter name is required.', title: 'Template name missing', userMessage: 'A template needs a name.' };
  if (typeof name !== 'string' || !NAME.test(name) || name.length > TEMPLATE_NAME_LIMIT) {
    return refusal('Invalid template name', `A template name is lowercase letters, digits and underscores, at most ${TEMPLATE_NAME_LIMIT} characters.`);
  }
  if (typeof language !== 'string' || !TEMPLATE_LANGUAGES.has(language)) {
    return refusal('Invalid language', `${typeof language === 'string' ? language : 'The language'} is not a language code Meta supports for templates.`);
  }
  if (typeof category !== 'string' || !CATEGORIES.includes(category)) {
    return { message: `(#100) Param category must be one of {${CATEGORIES.join(', ')}}`, title: 'Invalid category', userMessage: 'The category must be AUTHENTICATION, MARKETING or UTILITY.' };
  }
  if (parameterFormat !== undefined && parameterFormat !== 'positional' && parameterFormat !== 'named') {
    return { message: '(#100) Param parameter_format must be one of {POSITIONAL, NAMED}', title: 'Invalid parameter format', userMessage: 'parameter_format is positional or named.' };
  }
  if (!Array.isArray(components) || components.length === 0) return refusal('Components missing', 'A template needs components, at least a body.');
  const byType = new Map<string, Record<string, unknown>>();
  for (const component of components) {
    if (typeof component !== 'object' || component === null) return refusal('Invalid component', 'Each component is an object with a type.');
    const type = String((component as { type?: unknown }).type ?? '').toUpperCase();
    if (!['HEADER', 'BODY', 'FOOTER', 'BUTTONS'].includes(type)) return refusal('Invalid component', `${type || 'A missing type'} is not a component type.`);
    if (byType.has(type)) return refusal('Invalid component', `A template has at most one ${type} component.`);
    byType.set(type, component as Record<string, unknown>);
  }
  const body_ = byType.get('BODY');
  if (body_ === undefined) return refusal('Message body missing', 'A template needs a BODY component.');
  const named = parameterFormat === 'named';
  return category === 'AUTHENTICATION' ? authenticationRefusal(byType) : contentRefusal(byType, body_, named);
}

function contentRefusal(byType: Map<string, Record<string, unknown>>, body: Record<string, unknown>, named: boolean): TemplateRefusal | undefined {
  const header = byType.get('HEADER');
  if (header !== undefined) {
    const problem = headerRefusal(header, named);
    if (problem !== undefined) return problem;
  }
  const bodyProblem = bodyRefusal(body, named);
  if (bodyProblem !== undefined) return bodyProblem;
  const footer = byType.get('FOOTER');
  if (footer !== undefined) {
    if (footer.code_expiration_minutes !== undefined) return refusal('Message footer format is incorrect', 'Only an authentication template has a code expiry footer.', 2388073);
    if (typeof footer.text !== 'string' || footer.text.trim() === '') return refusal('Message footer format is incorrect', 'A footer needs text.', 2388073);
    if (characters(footer.text) > FOOTER_LIMIT) return tooLong('footer', FOOTER_LIMIT, characters(footer.text));
    if (footer.text.includes('{{') || footer.text.includes('\n')) return refusal('Message footer format is incorrect', 'A footer has no variables and no line breaks.', 2388073);
  }
  const buttons = byType.get('BUTTONS');
  return buttons === undefined ? undefined : buttonsRefusal(buttons.buttons);
}

function headerRefusal(header: Record<string, unknown>, named: boolean): TemplateRefusal | undefined {
  const wrong = (userMessage: string) => refusal('Message header format is incorrect', userMessage, 2388047);
  const format = header.format;
  if (typeof format === 'string' && MEDIA_FORMATS.includes(format)) {
    const handles = (header.example as { header_handle?: unknown } | undefined)?.header_handle;
    if (!Array.isArray(handles) || handles.length === 0 || handles.some((handle) => typeof handle !== 'string' || handle === '')) {
      return wrong(`The ${format.toLowerCase()} header needs a sample: example.header_handle with an uploaded media handle.`);
    }
    return undefined;
  }
  if (format === 'LOCATION') return undefined;
  if (format !== 'TEXT') return wrong('The header format is TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION.');
  const text = header.text;
  if (typeof text !== 'string' || text.trim() === '') return wrong('A text header needs text.');
  if (characters(text) > HEADER_TEXT_LIMIT) return tooLong('header', HEADER_TEXT_LIMIT, characters(text));
  if (text.includes('\n') || EMOJI.test(text) || text.includes('*')) return wrong('A text header has no line breaks, emojis or asterisks.');
  const variables = variablesIn(text);
  if (!Array.isArray(variables)) return wrong(`The header ${variables.malformed}.`);
  if (variables.length > 1) return wrong('A text header has at most one variable.');
  if (variables.length === 0) return undefined;
  const example = header.example as { header_text?: unknown; header_text_named_params?: unknown } | undefined;
  if (named) {
    if (!NAMED.test(variables[0]!)) return wrong('A named template names its header variable, like {{order_id}}.');
    return namedExamplesRefusal(example?.header_text_named_params, variables, 'header', wrong);
  }
  if (variables[0] !== '1') return wrong('The header variable of a positional template is {{1}}.');
  const samples = example?.header_text;
  if (!Array.isArray(samples) || samples.length !== 1 || typeof samples[0] !== 'string' || samples[0] === '') {
    return wrong('A header variable needs one sample value in example.header_text.');
  }
  return undefined;
}

function bodyRefusal(body: Record<string, unknown>, named: boolean): TemplateRefusal | undefined {
  const text = body.text;
  if (body.add_security_recommendation !== undefined) return bodyFormat('Only an authentication template has a security recommendation.');
  if (typeof text !== 'string' || text.trim() === '') return bodyFormat('A body needs text.');
  if (characters(text) > BODY_LIMIT) return tooLong('body', BODY_LIMIT, characters(text));
  const variables = variablesIn(text);
  if (!Array.isArray(variables)) return bodyFormat(`The body ${variables.malformed}.`);
  if (variables.length === 0) return undefined;
  if (named && variables.some((variable) => !NAMED.test(variable))) {
    return bodyFormat('A template with parameter_format named uses named variables like {{first_name}}, not numbers.');
  }
  if (!named && variables.some((variable) => !POSITIONAL.test(variable))) {
    return bodyFormat('Named variables like {{first_name}} need "parameter_format": "named"; otherwise variables are {{1}}, {{2}}, ...');
  }
  const edges = text.replace(EDGE_PUNCTUATION, '');
  if (edges.startsWith('{{') || edges.endsWith('}}')) {
    return refusal("Variables can't be at the start or end of the template", 'Variables can\'t be at the start or end of the template. Add text before the first and after the last variable.', 2388299);
  }
  if (/\}\}\s*\{\{/.test(text)) return bodyFormat('Two variables are next to each other; put text between them.');
  const distinct = [...new Set(variables)];
  if (!named) {
    const numbers = distinct.map(Number).sort((a, b) => a - b);
    if (numbers.some((number, index) => number !== index + 1)) {
      return bodyFormat(`Variables must be numbered in sequence from {{1}}: this body has ${numbers.map((n) => `{{${n}}}`).join(', ')}.`);
    }
  }
  const words = text.split(/\s+/).filter((word) => word !== '').length;
  if (words < 3 * distinct.length + 1) {
    return refusal(
      'Ratio of variable parameters to message length exceeded',
      `This template contains too many variable parameters relative to the message length: ${distinct.length} variables need at least ${3 * distinct.length + 1} words, it has ${words}. Decrease the number of variables or lengthen the message.`,
      2388293,
    );
  }
  const example = body.example as { body_text?: unknown; body_text_named_params?: unknown } | undefined;
  if (named) return namedExamplesRefusal(example?.body_text_named_params, distinct, 'body', bodyFormat);
  const rows = example?.body_text;
  const row = Array.isArray(rows) && rows.length === 1 ? rows[0] : undefined;
  if (!Array.isArray(row)) return bodyFormat(`The body has ${distinct.length} variables: give one row of sample values in example.body_text.`);
  if (row.length !== distinct.length || row.some((sample) => typeof sample !== 'string' || sample.trim() === '')) {
    return bodyFormat(`The body has ${distinct.length} variables but example.body_text gives ${row.length} sample values; give one non-empty sample per variable.`);
  }
  return undefined;
}

function namedExamplesRefusal(
  examples: unknown,
  names: string[],
  where: string,
  wrong: (userMessage: string) => TemplateRefusal,
): TemplateRefusal | undefined {
  const field = where === 'body' ? 'body_text_named_params' : 'header_text_named_params';
  if (!Array.isArray(examples)) return wrong(`The ${where} has named variables: give a sample for each in example.${field}.`);
  const given = new Map<string, unknown>();
  for (const example of examples) {
    const { param_name: name, example: sample } = (example ?? {}) as { param_name?: unknown; example?: unknown };
    if (typeof name !== 'string') return wrong(`Each example.${field} entry has a param_name.`);
    given.set(name, sample);
  }
  const missing = names.find((name) => typeof given.get(name) !== 'string' || (given.get(name) as string).trim() === '');
  if (missing !== undefined) return wrong(`The ${where} variable {{${missing}}} has no sample value in example.${field}.`);
  const extra = [...given.keys()].find((name) => !names.includes(name));
  if (extra !== undefined) return wrong(`example.${field} names ${extra}, which the ${where} does not use.`);
  return undefined;
}

function buttonsRefusal(buttons: unknown): TemplateRefusal | undefined {
  const wrong = (userMessage: string) => refusal('Invalid buttons', userMessage);
  if (!Array.isArray(buttons) || buttons.length === 0) return wrong('A BUTTONS component has at least one button.');
  if (buttons.length > BUTTONS_LIMIT) return wrong(`A template has at most ${BUTTONS_LIMIT} buttons; this one has ${buttons.length}.`);
  const types: string[] = [];
  for (const [index, value] of buttons.entries()) {
    const button = (value ?? {}) as Record<string, unknown>;
    const type = button.type;
    if (type !== 'QUICK_REPLY' && type !== 'URL' && type !== 'PHONE_NUMBER') {
      return wrong(`Button ${index + 1}: ${String(type)} is not a button type for this category (QUICK_REPLY, URL or PHONE_NUMBER).`);
    }
    types.push(type);
    if (typeof button.text !== 'string' || button.text.trim() === '') return wrong(`Button ${index + 1} needs text.`);
    if (characters(button.text) > BUTTON_TEXT_LIMIT) return tooLong(`text of button ${index + 1}`, BUTTON_TEXT_LIMIT, characters(button.text));
    if (button.text.includes('{{')) return wrong(`Button ${index + 1}: button text has no variables.`);
    if (type === 'URL') {
      const problem = urlProblem(button.url, button.example);
      if (problem !== undefined) return wrong(`Button ${index + 1}: ${problem}`);
    }
    if (type === 'PHONE_NUMBER') {
      const phone = button.phone_number;
      if (typeof phone !== 'string' || !/^\+?[1-9]\d{5,}$/.test(phone) || phone.length > PHONE_NUMBER_LIMIT) {
        return wrong(`Button ${index + 1}: phone_number is an international number of digits, at most ${PHONE_NUMBER_LIMIT} characters.`);
      }
    }
  }
  const urls = types.filter((type) => type === 'URL').length;
  if (urls > URL_BUTTONS_LIMIT) return wrong(`A template has at most ${URL_BUTTONS_LIMIT} URL buttons; this one has ${urls}.`);
  const phones = types.filter((type) => type === 'PHONE_NUMBER').length;
  if (phones > PHONE_BUTTONS_LIMIT) return wrong(`A template has at most ${PHONE_BUTTONS_LIMIT} phone number button; this one has ${phones}.`);
  const first = types.indexOf('QUICK_REPLY');
  const last = types.lastIndexOf('QUICK_REPLY');
  if (first !== -1 && types.slice(first, last + 1).some((type) => type !== 'QUICK_REPLY')) {
    return wrong('Quick reply buttons must be grouped together, not mixed with URL or phone number buttons.');
  }
  return undefined;
}

/** What is wrong with a URL button's address: a web address, with at most one variable, {{1}}, at its end and a sample for it. */
function urlProblem(url: unknown, example: unknown): string | undefined {
  if (typeof url !== 'string' || url.length > URL_LIMIT) return `url is a web address of at most ${URL_LIMIT} characters.`;
  const variables = variablesIn(url);
  if (!Array.isArray(variables) || variables.length > 1 || (variables.length === 1 && (variables[0] !== '1' || !url.endsWith('{{1}}')))) {
    return 'url has at most one variable, {{1}}, at its end.';
  }
  let parsed: URL;
  try {
    parsed = new URL(url.replace('{{1}}', 'sample'));
  } catch {
    return 'url is not a valid web address.';
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return 'url is an http or https address.';
  if (!parsed.hostname.includes('.')) return 'url needs a domain name.';
  if (variables.length === 1 && (!Array.isArray(example) || example.length !== 1 || typeof example[0] !== 'string' || example[0] === '')) {
    return 'a url with a variable needs one sample in example.';
  }
  return undefined;
}

/** Meta's fixed OTP shape: body without text, optional expiry footer, one OTP copy-code button. */
function authenticationRefusal(byType: Map<string, Record<string, unknown>>): TemplateRefusal | undefined {
  const wrong = (userMessage: string) => refusal('Invalid authentication template', userMessage);
  if (byType.has('HEADER')) return wrong('An authentication template has no header.');
  const body = byType.get('BODY')!;
  if (body.text !== undefined) return wrong('An authentication template has no body text: Meta writes "{{1}} is your verification code."');
  if (body.add_security_recommendation !== undefined && typeof body.add_security_recommendation !== 'boolean') {
    return wrong('add_security_recommendation is true or false.');
  }
  const footer = byType.get('FOOTER');
  if (footer !== undefined) {
    if (footer.text !== undefined) return wrong('An authentication template has no footer text: Meta writes the expiry line.');
    const minutes = footer.code_expiration_minutes;
    if (typeof minutes !== 'number' || !Number.isInteger(minutes) || minutes < CODE_EXPIRATION_MINUTES.min || minutes > CODE_EXPIRATION_MINUTES.max) {
      return wrong(`code_expiration_minutes is a whole number from ${CODE_EXPIRATION_MINUTES.min} to ${CODE_EXPIRATION_MINUTES.max}.`);
    }
  }
  const buttons = byType.get('BUTTONS')?.buttons;
  if (!Array.isArray(buttons) || buttons.length !== 1) return wrong('An authentication template has exactly one OTP button.');
  const button = (buttons[0] ?? {}) as Record<string, unknown>;
  if (button.type !== 'OTP' || button.otp_type !== 'COPY_CODE') return wrong('The button of an authentication template is {"type": "OTP", "otp_type": "COPY_CODE"}.');
  if (button.text !== undefined && (typeof button.text !== 'string' || button.text === '' || characters(button.text) > BUTTON_TEXT_LIMIT)) {
    return tooLong('copy code button text', BUTTON_TEXT_LIMIT, typeof button.text === 'string' ? characters(button.text) : 0);
  }
  return undefined;
}
