import { readPlaceholders } from '../placeholders.ts';
import type { Scenario } from '../scenario.ts';
import type { ConversionProblem, ConvertedVariable } from './conversion.ts';
import { NAMED_PARAMETER } from './creation-rules.ts';
import { variableSource } from './variable-source.ts';

export interface TemplateText {
  /** With `{{1}}`... or `{{first_name}}` in place of the scenario's placeholders. */
  text: string;
  /** One per parameter, in order of first appearance. */
  variables: ConvertedVariable[];
}

/**
 * A scenario text in WhatsApp's variable syntax. Positional: every placeholder occurrence gets the next number, so
 * numbers are always sequential and each has its example. Named: the placeholder's name, or one made from its field.
 */
export function templateText(
  scenario: Scenario,
  source: string,
  component: 'body' | 'header',
  format: 'positional' | 'named',
  notes: string[],
  problems: ConversionProblem[],
): TemplateText {
  const variables: ConvertedVariable[] = [];
  const namedBy = new Map<string, string>();
  let text = '';
  for (const part of readPlaceholders(source)) {
    if (part.kind === 'literal') {
      text += part.text;
      continue;
    }
    const origin = variableSource(scenario, part.name, notes);
    let parameter: string;
    if (format === 'positional') {
      parameter = String(variables.length + 1);
    } else {
      const known = namedBy.get(part.name);
      if (known !== undefined) {
        text += `{{${known}}}`;
        continue;
      }
      parameter = namedParameter(part.name, origin.field);
      if (!NAMED_PARAMETER.test(parameter) || [...namedBy.values()].includes(parameter)) {
        problems.push({
          rule: 'named-parameter',
          reason: `${part.written} gives no usable named parameter ("${parameter}"): names are lowercase letters and _, one per variable`,
          suggestion: `rename ${part.written} to lowercase letters and _ (like {first_name}), or convert without --named`,
        });
      } else if (parameter !== part.name) {
        notes.push(`${part.written} is named {{${parameter}}} in the template`);
      }
      namedBy.set(part.name, parameter);
    }
    text += `{{${parameter}}}`;
    variables.push({ parameter, component, placeholder: part.written, field: origin.field, fieldFrom: origin.fieldFrom, example: origin.example });
  }
  return { text, variables };
}

/**
 * The placeholder's own name when it is already lowercase letters and `_`; else the last part of its field
 * (`contact.first_name` → `first_name`), or the whole field when that part is a bare `id` (`order.id` → `order_id`).
 */
function namedParameter(name: string, field: string): string {
  if (NAMED_PARAMETER.test(name)) return name;
  const last = field.split('.').at(-1) ?? '';
  return (last.toLowerCase() === 'id' ? field : last)
    .toLowerCase()
    .replace(/[^a-z]+/g, '_')
    .replace(/^_+|_+$/g, '');
}
