import { graphError, invalidParameter, missingParameter, type Answer } from './emulator-answers.ts';
import type { InteractiveMessage } from './interactive-message.ts';
import type { MessageTemplateDefinition } from './message-template.ts';
import { characters, variablesIn } from './template-creation-rules.ts';

/** What a `/messages` request carries, once its shape passed Meta's checks. */
export type MessageContent =
  | { kind: 'template'; name: string; language: string; components: unknown }
  | { kind: 'text'; body: string }
  | { kind: 'interactive'; interactive: InteractiveMessage };

/** The parameters a template takes when sent: what its header, body and URL buttons have variables for. */
export interface TemplateSendShape {
  header: 'none' | 'text' | 'image' | 'video' | 'document' | 'location';
  /** Variables of a text header: 0 or 1. */
  headerVariables: string[];
  /** Distinct body variables in order (`1`, `2` or `first_name`). */
  body: string[];
  named: boolean;
  /** Indexes of URL buttons whose address ends in a variable. */
  urlButtons: number[];
}

export const TEXT_LIMIT = 4096;
const BODY_LIMIT = 1024;
const HEADER_LIMIT = 60;
const FOOTER_LIMIT = 60;
const REPLY_BUTTONS = { min: 1, max: 3 };
const BUTTON_TITLE_LIMIT = 20;
const BUTTON_ID_LIMIT = 256;
const LIST_BUTTON_LIMIT = 20;
const SECTIONS_LIMIT = 10;
const ROWS_LIMIT = 10;
const SECTION_TITLE_LIMIT = 24;
const ROW_ID_LIMIT = 200;
const ROW_TITLE_LIMIT = 24;
const ROW_DESCRIPTION_LIMIT = 72;

const parameterMismatch = (details: string): Answer =>
  graphError(400, 132000, '(#132000) Number of parameters does not match the expected number of params', { details });
const formatMismatch = (details: string): Answer => graphError(400, 132012, '(#132012) Parameter format does not match format in the created template', { details });

/** Reads `type` and its object: a template, a text or an interactive message, or Meta's refusal. */
export function messageContent(body: Record<string, unknown>): MessageContent | Answer {
  if (body.type === 'template') {
    if (typeof body.template !== 'object' || body.template === null) return missingParameter('template');
    const template = body.template as Record<string, unknown>;
    if (typeof template.name !== 'string' || template.name === '') return missingParameter('template.name');
    if (typeof template.language !== 'object' || template.language === null) return missingParameter('template.language');
    const language = template.language as Record<string, unknown>;
    if (typeof language.code !== 'string' || language.code === '') return missingParameter('template.language.code');
    if (language.policy !== undefined && language.policy !== 'deterministic') return invalidParameter('template.language.policy: must be deterministic');
    return { kind: 'template', name: template.name, language: language.code, components: template.components };
  }
  if (body.type === 'text') {
    const text = body.text as { body?: unknown; preview_url?: unknown } | undefined;
    if (typeof text !== 'object' || text === null || text.body === undefined) return missingParameter('text.body');
    if (typeof text.body !== 'string' || text.body.trim() === '') return invalidParameter('text.body: must be a non-empty string');
    if (characters(text.body) > TEXT_LIMIT) return invalidParameter(`text.body: at most ${TEXT_LIMIT} characters`);
    if (text.preview_url !== undefined && typeof text.preview_url !== 'boolean') return invalidParameter('text.preview_url: must be a boolean');
    return { kind: 'text', body: text.body };
  }
  if (body.type === 'interactive') {
    if (typeof body.interactive !== 'object' || body.interactive === null) return missingParameter('interactive');
    const problem = interactiveProblem(body.interactive as Record<string, unknown>);
    return problem === undefined ? { kind: 'interactive', interactive: structuredClone(body.interactive) as InteractiveMessage } : invalidParameter(problem);
  }
  if (body.type === undefined) return missingParameter('type');
  return graphError(400, 100, '(#100) Invalid parameter', { details: `type: this emulator sends template, text and interactive messages, not ${String(body.type)}` });
}

/** The send shape of a template created through the API. */
export function sendShapeOf(definition: MessageTemplateDefinition): TemplateSendShape {
  const header = definition.components.find((component) => component.type === 'HEADER');
  const body = definition.components.find((component) => component.type === 'BODY');
  const buttons = definition.components.find((component) => component.type === 'BUTTONS');
  const variables = (text: string | undefined): string[] => {
    const found = text === undefined ? [] : variablesIn(text);
    return Array.isArray(found) ? [...new Set(found)] : [];
  };
  const urlButtons = (buttons?.type === 'BUTTONS' ? buttons.buttons : []).flatMap((button, index) => (button.type === 'URL' && button.url.includes('{{') ? [index] : []));
  return {
    header: header?.type === 'HEADER' ? (header.format.toLowerCase() as TemplateSendShape['header']) : 'none',
    headerVariables: header?.type === 'HEADER' && header.format === 'TEXT' ? variables(header.text) : [],
    // An authentication template's body is Meta's "{{1}} is your verification code.": the code is its one variable.
    body: definition.category === 'AUTHENTICATION' ? ['1'] : variables(body?.type === 'BODY' ? body.text : undefined),
    named: definition.parameter_format === 'named',
    urlButtons: definition.category === 'AUTHENTICATION' ? [0] : urlButtons,
  };
}

/** The parameters a template message gives, per component. */
export interface GivenParameters {
  header: Record<string, unknown>[];
  body: Record<string, unknown>[];
  /** By button index. */
  buttons: Map<number, Record<string, unknown>[]>;
}

/** Reads the `components` of a template message, or Meta's refusal of their shape. */
export function templateParameters(components: unknown): GivenParameters | Answer {
  const given: GivenParameters = { header: [], body: [], buttons: new Map() };
  if (components !== undefined && !Array.isArray(components)) return invalidParameter('template.components: must be an array');
  for (const [index, value] of (components ?? []).entries()) {
    if (typeof value !== 'object' || value === null) return invalidParameter(`template.components[${index}]: must be an object`);
    const component = value as { type?: unknown; parameters?: unknown; sub_type?: unknown; index?: unknown };
    if (component.type !== 'header' && component.type !== 'body' && component.type !== 'button') {
      return invalidParameter(`template.components[${index}].type: must be header, body or button`);
    }
    if (component.parameters !== undefined && !Array.isArray(component.parameters)) return invalidParameter(`template.components[${index}].parameters: must be an array`);
    const parameters = (component.parameters ?? []) as unknown[];
    for (const [p, parameter] of parameters.entries()) {
      const { type, text } = (parameter ?? {}) as { type?: unknown; text?: unknown };
      if (typeof type !== 'string') return invalidParameter(`template.components[${index}].parameters[${p}].type is required`);
      if (type === 'text' && (typeof text !== 'string' || text === '')) return invalidParameter(`template.components[${index}].parameters[${p}].text is required`);
    }
    const records = parameters as Record<string, unknown>[];
    if (component.type === 'button') {
      const buttonIndex = Number(component.index);
      if (component.sub_type === undefined) return missingParameter(`template.components[${index}].sub_type`);
      if (component.index === undefined || !Number.isInteger(buttonIndex) || buttonIndex < 0 || buttonIndex > 9) {
        return invalidParameter(`template.components[${index}].index: a button index from 0 to 9`);
      }
      given.buttons.set(buttonIndex, [...(given.buttons.get(buttonIndex) ?? []), ...records]);
    } else {
      given[component.type].push(...records);
    }
  }
  return given;
}

/** Whether the parameters given are exactly those the template takes, in Meta's words if not. */
export function parametersMismatch(given: GivenParameters, shape: TemplateSendShape): Answer | undefined {
  const expectedHeader = shape.header === 'text' ? shape.headerVariables.length : shape.header === 'none' || shape.header === 'location' ? 0 : 1;
  const buttonCount = [...given.buttons.values()].reduce((sum, parameters) => sum + parameters.length, 0);
  for (const [part, count, expected] of [
    ['header', given.header.length, expectedHeader],
    ['body', given.body.length, shape.body.length],
    ['button', buttonCount, shape.urlButtons.length],
  ] as const) {
    if (count !== expected) return parameterMismatch(`${part}: number of localizable_params (${count}) does not match the expected number of params (${expected})`);
  }
  if (expectedHeader === 1 && shape.header !== 'text') {
    const parameter = given.header[0]!;
    const media = parameter[shape.header] as { link?: unknown; id?: unknown } | undefined;
    if (parameter.type !== shape.header || typeof media !== 'object' || media === null || (typeof media.link !== 'string' && typeof media.id !== 'string')) {
      return formatMismatch(`header: expected a ${shape.header} parameter with a link or an id`);
    }
  } else if (expectedHeader === 1 && given.header[0]!.type !== 'text') {
    return formatMismatch('header: expected a text parameter');
  }
  if (given.body.some((parameter) => parameter.type !== 'text')) return formatMismatch('body: parameters are text');
  if (shape.named) {
    const names = given.body.map((parameter) => parameter.parameter_name);
    const missing = shape.body.find((name) => !names.includes(name));
    if (missing !== undefined) return parameterMismatch(`body: the template's parameter ${missing} has no parameter_name in the request`);
  }
  for (const buttonIndex of shape.urlButtons) {
    const parameters = given.buttons.get(buttonIndex);
    if (parameters === undefined || parameters.length !== 1 || parameters[0]!.type !== 'text') {
      return parameterMismatch(`button: the URL button at index ${buttonIndex} takes one text parameter`);
    }
  }
  return undefined;
}

/** The first of Meta's interactive message rules that `interactive` breaks, as 131009's details say it. */
export function interactiveProblem(interactive: Record<string, unknown>): string | undefined {
  const { type, header, body, footer, action } = interactive as { type?: unknown; header?: unknown; body?: unknown; footer?: unknown; action?: unknown };
  if (type !== 'button' && type !== 'list') return `interactive.type: this emulator sends button and list messages, not ${String(type)}`;
  const bodyText = (body as { text?: unknown } | undefined)?.text;
  if (typeof bodyText !== 'string' || bodyText.trim() === '') return 'interactive.body.text is required';
  if (characters(bodyText) > BODY_LIMIT) return `interactive.body.text: at most ${BODY_LIMIT} characters`;
  if (footer !== undefined) {
    const footerText = (footer as { text?: unknown }).text;
    if (typeof footerText !== 'string' || footerText === '') return 'interactive.footer.text is required when there is a footer';
    if (characters(footerText) > FOOTER_LIMIT) return `interactive.footer.text: at most ${FOOTER_LIMIT} characters`;
  }
  if (header !== undefined) {
    const problem = headerProblem(header as Record<string, unknown>, type);
    if (problem !== undefined) return problem;
  }
  if (typeof action !== 'object' || action === null) return 'interactive.action is required';
  return type === 'button' ? replyButtonsProblem(action as Record<string, unknown>) : listProblem(action as Record<string, unknown>);
}

function headerProblem(header: Record<string, unknown>, type: 'button' | 'list'): string | undefined {
  if (header.type === 'text') {
    if (typeof header.text !== 'string' || header.text === '') return 'interactive.header.text is required for a text header';
    return characters(header.text) > HEADER_LIMIT ? `interactive.header.text: at most ${HEADER_LIMIT} characters` : undefined;
  }
  if (type === 'list') return 'interactive.header: a list message takes a text header only';
  if (header.type !== 'image' && header.type !== 'video' && header.type !== 'document') return 'interactive.header.type: text, image, video or document';
  const media = header[header.type] as { link?: unknown; id?: unknown } | undefined;
  if (typeof media !== 'object' || media === null || (typeof media.link !== 'string' && typeof media.id !== 'string')) {
    return `interactive.header.${header.type}: a link or an id is required`;
  }
  return undefined;
}

function replyButtonsProblem(action: Record<string, unknown>): string | undefined {
  const buttons = action.buttons;
  if (!Array.isArray(buttons) || buttons.length < REPLY_BUTTONS.min || buttons.length > REPLY_BUTTONS.max) {
    return `interactive.action.buttons: ${REPLY_BUTTONS.min} to ${REPLY_BUTTONS.max} reply buttons`;
  }
  const ids = new Set<string>();
  const titles = new Set<string>();
  for (const [index, value] of buttons.entries()) {
    const where = `interactive.action.buttons[${index}]`;
    const { type, reply } = (value ?? {}) as { type?: unknown; reply?: { id?: unknown; title?: unknown } };
    if (type !== 'reply') return `${where}.type: must be reply`;
    if (typeof reply?.id !== 'string' || reply.id === '') return `${where}.reply.id is required`;
    if (characters(reply.id) > BUTTON_ID_LIMIT) return `${where}.reply.id: at most ${BUTTON_ID_LIMIT} characters`;
    if (typeof reply.title !== 'string' || reply.title.trim() === '') return `${where}.reply.title is required`;
    if (characters(reply.title) > BUTTON_TITLE_LIMIT) return `${where}.reply.title: at most ${BUTTON_TITLE_LIMIT} characters`;
    if (ids.has(reply.id)) return `${where}.reply.id: button ids must be unique`;
    if (titles.has(reply.title)) return `${where}.reply.title: button titles must be unique`;
    ids.add(reply.id);
    titles.add(reply.title);
  }
  return undefined;
}

function listProblem(action: Record<string, unknown>): string | undefined {
  const { button, sections } = action as { button?: unknown; sections?: unknown };
  if (typeof button !== 'string' || button.trim() === '') return 'interactive.action.button is required';
  if (characters(button) > LIST_BUTTON_LIMIT) return `interactive.action.button: at most ${LIST_BUTTON_LIMIT} characters`;
  if (!Array.isArray(sections) || sections.length === 0 || sections.length > SECTIONS_LIMIT) {
    return `interactive.action.sections: 1 to ${SECTIONS_LIMIT} sections`;
  }
  const ids = new Set<string>();
  let rowCount = 0;
  for (const [s, value] of sections.entries()) {
    const where = `interactive.action.sections[${s}]`;
    const { title, rows } = (value ?? {}) as { title?: unknown; rows?: unknown };
    if (sections.length > 1 && (typeof title !== 'string' || title.trim() === '')) return `${where}.title is required when there is more than one section`;
    if (title !== undefined && (typeof title !== 'string' || characters(title) > SECTION_TITLE_LIMIT)) return `${where}.title: at most ${SECTION_TITLE_LIMIT} characters`;
    if (!Array.isArray(rows) || rows.length === 0) return `${where}.rows: at least one row`;
    rowCount += rows.length;
    if (rowCount > ROWS_LIMIT) return `interactive.action.sections: at most ${ROWS_LIMIT} rows in all`;
    for (const [r, row] of rows.entries()) {
      const at = `${where}.rows[${r}]`;
      const { id, title: rowTitle, description } = (row ?? {}) as { id?: unknown; title?: unknown; description?: unknown };
      if (typeof id !== 'string' || id === '') return `${at}.id is required`;
      if (characters(id) > ROW_ID_LIMIT) return `${at}.id: at most ${ROW_ID_LIMIT} characters`;
      if (ids.has(id)) return `${at}.id: row ids must be unique`;
      ids.add(id);
      if (typeof rowTitle !== 'string' || rowTitle.trim() === '') return `${at}.title is required`;
      if (characters(rowTitle) > ROW_TITLE_LIMIT) return `${at}.title: at most ${ROW_TITLE_LIMIT} characters`;
      if (description !== undefined && (typeof description !== 'string' || characters(description) > ROW_DESCRIPTION_LIMIT)) {
        return `${at}.description: at most ${ROW_DESCRIPTION_LIMIT} characters`;
      }
    }
  }
  return undefined;
}
