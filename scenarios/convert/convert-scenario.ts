import type { MessageTemplateDefinition, TemplateCategoryName, TemplateComponent } from '../../connectors/whatsapp/message-template.ts';
import { placeholderNames } from '../placeholders.ts';
import type { Scenario } from '../scenario.ts';
import { authenticationTemplate } from './authentication-template.ts';
import { suggestCategory } from './category.ts';
import type { Conversion, ConversionProblem, ConvertedVariable, ConvertOptions } from './conversion.ts';
import { creationProblems, type ParameterLabel } from './creation-rules.ts';
import { metaLanguage } from './meta-language.ts';
import { templateButtons } from './template-buttons.ts';
import { templateName } from './template-name.ts';
import { templateText } from './template-text.ts';

/**
 * One scenario as a WhatsApp message template, or every reason it cannot be one as written, each with a fix.
 * The template is built first, then the creation rules run on the very definition that would be submitted.
 */
export function convertScenario(scenario: Scenario, options: ConvertOptions = {}): Conversion {
  const format = options.parameterFormat ?? 'positional';
  const problems: ConversionProblem[] = [];
  const notes: string[] = [];

  const named = templateName(scenario.id);
  if ('problem' in named) problems.push(named.problem);
  else if (named.note) notes.push(named.note);
  const language = metaLanguage(scenario.language);
  if ('problem' in language) problems.push(language.problem);
  else if (language.note) notes.push(language.note);

  const suggested = suggestCategory(scenario);
  const chosen = (scenario.category?.toUpperCase() as TemplateCategoryName | undefined) ?? suggested.category;
  const reason = chosen === suggested.category ? suggested.reason : `${chosen} as the scenario says (suggested ${suggested.category}: ${suggested.reason})`;

  let components: TemplateComponent[];
  let variables: ConvertedVariable[];
  let replyPayloads: { index: number; text: string; payload: string }[] = [];
  if (chosen === 'AUTHENTICATION') {
    ({ components, variables } = authenticationTemplate(scenario, notes, problems));
  } else {
    if (scenario.footer && placeholderNames(scenario.footer).length) {
      problems.push({ rule: 'footer-variables', reason: `the footer "${scenario.footer}" has a placeholder; WhatsApp footers are fixed text`, suggestion: 'move the placeholder into the text' });
    }
    if (scenario.picture && scenario.header) {
      problems.push({ rule: 'header', reason: 'a picture and a header: a template has one header', suggestion: 'keep the picture, and move the header text into the text' });
    }
    const body = templateText(scenario, scenario.text, 'body', format, notes, problems);
    const header = scenario.header ? templateText(scenario, scenario.header, 'header', format, notes, problems) : undefined;
    const buttons = templateButtons(scenario, notes, problems);
    components = [];
    if (scenario.picture) components.push({ type: 'HEADER', format: 'IMAGE', example: { header_handle: [scenario.picture] } });
    else if (header) components.push(withExamples({ type: 'HEADER', format: 'TEXT', text: header.text }, header.variables, format));
    components.push(withExamples({ type: 'BODY', text: body.text }, body.variables, format));
    if (scenario.footer) components.push({ type: 'FOOTER', text: scenario.footer });
    if (buttons.buttons.length) components.push({ type: 'BUTTONS', buttons: buttons.buttons });
    variables = [...(header?.variables ?? []), ...body.variables, ...buttons.variables];
    replyPayloads = buttons.replyPayloads;
    if (scenario.picture) notes.push('the picture is the image header: upload it to Meta and put the returned handle in example.header_handle before submitting');
  }

  const template: MessageTemplateDefinition = {
    name: 'name' in named ? named.name : 'unnamed',
    language: 'code' in language ? language.code : 'en',
    category: chosen,
    ...(format === 'named' && chosen !== 'AUTHENTICATION' ? { parameter_format: 'named' as const } : {}),
    components,
  };
  const label: ParameterLabel = (component, parameter, buttonIndex) => {
    const variable = variables.find((v) => v.component === component && v.parameter === parameter && v.buttonIndex === buttonIndex);
    if (!variable) return { shown: `{{${parameter}}}`, written: `{{${parameter}}}`, name: parameter };
    const name = placeholderNames(variable.placeholder)[0] ?? parameter;
    return { shown: `${variable.placeholder} ({{${parameter}}})`, written: variable.placeholder, name };
  };
  for (const problem of creationProblems(template, label)) {
    if (!problems.some((p) => p.rule === problem.rule && p.reason === problem.reason)) problems.push(problem);
  }

  if (problems.length) return { ok: false, id: scenario.id, origin: scenario.origin, problems };
  return {
    ok: true,
    id: scenario.id,
    origin: scenario.origin,
    template,
    variables,
    category: { suggested: suggested.category, chosen, reason },
    language: { written: scenario.language, code: template.language },
    ...(scenario.picture && chosen !== 'AUTHENTICATION' ? { headerImage: scenario.picture } : {}),
    ...(replyPayloads.length ? { replyPayloads } : {}),
    notes: [...new Set(notes)],
  };
}

/** Meta's example shapes: one row of values in order (positional), or one `{param_name, example}` per name (named). */
function withExamples<T extends TemplateComponent & { type: 'HEADER' | 'BODY' }>(component: T, variables: ConvertedVariable[], format: 'positional' | 'named'): T {
  if (variables.length === 0) return component;
  const named = variables.map((v) => ({ param_name: v.parameter, example: v.example }));
  if (component.type === 'BODY') {
    return { ...component, example: format === 'named' ? { body_text_named_params: named } : { body_text: [variables.map((v) => v.example)] } };
  }
  return { ...component, example: format === 'named' ? { header_text_named_params: named } : { header_text: variables.map((v) => v.example) } };
}
