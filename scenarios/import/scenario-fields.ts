import { fieldName, placeholderNames } from '../placeholders.ts';
import type { ScenarioVariable, TemplateCategory } from '../scenario.ts';
import type { FieldError } from './import-result.ts';

/** The checks every input format shares, so a field means the same thing and fails the same way in each. */
export class FieldReader {
  readonly errors: FieldError[] = [];

  fail(field: string, reason: string): undefined {
    this.errors.push({ field, reason });
    return undefined;
  }

  text(value: unknown, field: string, required: boolean): string | undefined {
    if (value === undefined || value === null || value === '') return required ? this.fail(field, 'missing') : undefined;
    if (typeof value !== 'string') return this.fail(field, `a text is needed, not ${JSON.stringify(value)}`);
    if (value.trim() === '') return required ? this.fail(field, 'empty') : undefined;
    return value;
  }

  id(value: unknown, field = 'id'): string | undefined {
    return this.text(value, field, true)?.trim();
  }

  /** BCP 47 as businesses write it: `en`, `en-GB`, `pt_BR`. Whether WhatsApp has it is the converter's question. */
  language(value: unknown, field = 'language'): string | undefined {
    const language = this.text(value, field, true)?.trim();
    if (language === undefined) return undefined;
    if (!/^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$/.test(language)) return this.fail(field, `"${language}" is not a language tag like en, en-GB or ar`);
    return language;
  }

  category(value: unknown, field = 'category'): TemplateCategory | undefined {
    const category = this.text(value, field, false)?.trim().toLowerCase();
    if (category === undefined) return undefined;
    if (category === 'utility' || category === 'marketing' || category === 'authentication') return category;
    return this.fail(field, `"${category}" is not one of utility, marketing, authentication`);
  }

  httpUrl(value: unknown, field: string): string | undefined {
    const url = this.text(value, field, true)?.trim();
    if (url === undefined) return undefined;
    if (!/^https?:\/\/[^\s/]+/i.test(url)) return this.fail(field, `"${url}" is not an http(s) URL`);
    return url;
  }

  /**
   * `{ name: { field, example? } }`, keyed by placeholder name in any spelling (`First Name` is `first_name`).
   * A variable no placeholder uses is an error: it is most often a typo that would leave the real one without a field.
   */
  variables(value: unknown, usedIn: string[], field = 'variables'): Record<string, ScenarioVariable> | undefined {
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) return this.fail(field, 'an object of { "name": { "field": ..., "example": ... } } is needed');
    const used = new Set(usedIn.flatMap((text) => placeholderNames(text)));
    const variables: Record<string, ScenarioVariable> = {};
    for (const [written, spec] of Object.entries(value as Record<string, unknown>)) {
      const name = fieldName(written);
      const at = `${field}.${written}`;
      if (!used.has(name)) {
        this.fail(at, `no placeholder "${name}" in the text${used.size ? ` (it has ${[...used].join(', ')})` : ''}`);
        continue;
      }
      if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
        this.fail(at, 'an object { "field": ..., "example": ... } is needed');
        continue;
      }
      const { field: source, example, ...rest } = spec as Record<string, unknown>;
      for (const key of Object.keys(rest)) this.fail(`${at}.${key}`, 'unknown field (expected field, example)');
      const sourceField = this.text(source, `${at}.field`, true)?.trim();
      const exampleText = this.text(example, `${at}.example`, false)?.trim();
      if (sourceField !== undefined) variables[name] = exampleText === undefined ? { field: sourceField } : { field: sourceField, example: exampleText };
    }
    return Object.keys(variables).length ? variables : undefined;
  }
}
