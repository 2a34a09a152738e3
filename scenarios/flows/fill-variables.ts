import { fieldName, readPlaceholders } from '../placeholders.ts';

/** Values for a conversation's variables, like `{ "name": "Maria", "status": "shipped" }`; keys in any placeholder spelling. */
export type FlowContext = Record<string, string>;

/**
 * The text with each placeholder replaced by its value from the context. A placeholder the context has no value
 * for stays as written and is named in `missing`, so a test run shows it instead of sending a hole.
 */
export function fillVariables(text: string, context: FlowContext): { text: string; missing: string[] } {
  const values = new Map(Object.entries(context).map(([name, value]) => [fieldName(name), value]));
  const missing: string[] = [];
  const filled = readPlaceholders(text)
    .map((part) => {
      if (part.kind === 'literal') return part.text;
      const value = values.get(part.name);
      if (value === undefined && !missing.includes(part.name)) missing.push(part.name);
      return value ?? part.written;
    })
    .join('');
  return { text: filled, missing };
}
