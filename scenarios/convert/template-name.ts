import type { ConversionProblem } from './conversion.ts';

/** Meta's template name: lowercase a–z, 0–9 and `_`, at most 512; it must also start with a letter here, the strictest reading. */
export const TEMPLATE_NAME = /^[a-z][a-z0-9_]{0,511}$/;

/** The template name made from a scenario id, saying when it had to change. */
export function templateName(id: string): { name: string; note?: string } | { problem: ConversionProblem } {
  if (TEMPLATE_NAME.test(id)) return { name: id };
  let name = id
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (name === '') {
    return {
      problem: {
        rule: 'name',
        reason: `the id "${id}" has no Latin letters or digits to make a template name from`,
        suggestion: 'give the scenario an id in lowercase a–z, 0–9 and _, like order_shipped_ar',
      },
    };
  }
  if (!/^[a-z]/.test(name)) name = `msg_${name}`;
  name = name.slice(0, 512);
  return { name, note: `template name "${name}" made from id "${id}" (names are lowercase a–z, 0–9 and _, starting with a letter)` };
}
