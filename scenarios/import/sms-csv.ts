import { parse } from 'csv-parse/sync';
import type { Scenario } from '../scenario.ts';
import { FieldReader } from './scenario-fields.ts';
import type { ImportResult } from './import-result.ts';

const REQUIRED = ['id', 'language', 'text'] as const;
const OPTIONAL = ['category', 'variables'] as const;

/**
 * An SMS export as businesses keep one: a header row `id,language,text` and optionally `category` and `variables`.
 * The `variables` cell is either the JSON object of the product's format or the shorter
 * `first_name=contact.first_name|Sarah; order_id=order.id|ORD-10482` (placeholder=field|example, example optional).
 */
export function parseSmsCsv(content: string, file: string): ImportResult {
  const result: ImportResult = { scenarios: [], rejected: [] };
  let rows: { record: string[]; info: { lines: number } }[];
  try {
    rows = parse(content, { bom: true, info: true, skip_empty_lines: true, relax_column_count: true }) as unknown as typeof rows;
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    result.rejected.push({ origin: line ? `${file} line ${line}` : file, errors: [{ field: '(file)', reason: `not readable as CSV: ${(error as Error).message}` }] });
    return result;
  }
  const [header, ...records] = rows;
  if (!header) {
    result.rejected.push({ origin: file, errors: [{ field: '(file)', reason: 'empty: a header row id,language,text is needed' }] });
    return result;
  }
  const columns = header.record.map((name) => name.trim().toLowerCase());
  const headerErrors = [
    ...REQUIRED.filter((name) => !columns.includes(name)).map((name) => ({ field: name, reason: 'missing column in the header row' })),
    ...columns
      .filter((name) => !(REQUIRED as readonly string[]).includes(name) && !(OPTIONAL as readonly string[]).includes(name))
      .map((name) => ({ field: name, reason: `unknown column (expected ${[...REQUIRED, ...OPTIONAL].join(', ')})` })),
  ];
  if (headerErrors.length) {
    result.rejected.push({ origin: `${file} line 1`, errors: headerErrors });
    if (REQUIRED.some((name) => !columns.includes(name))) return result;
  }

  for (const { record, info } of records) {
    // csv-parse counts lines to the end of the record; a quoted text may span several.
    const line = info.lines - record.reduce((breaks, cell) => breaks + (cell.match(/\n/g)?.length ?? 0), 0);
    const origin = `${file} line ${line}`;
    const cell = (name: string): string | undefined => {
      const at = columns.indexOf(name);
      return at === -1 ? undefined : record[at];
    };
    const read = new FieldReader();
    if (record.length > columns.length) read.fail('(row)', `${record.length} cells for ${columns.length} columns: quote a text that holds a comma`);
    const id = read.id(cell('id'));
    const language = read.language(cell('language'));
    const text = read.text(cell('text'), 'text', true);
    const category = read.category(cell('category'));
    const variables = read.variables(variablesCell(cell('variables'), read), text === undefined ? [] : [text]);
    if (read.errors.length || id === undefined || language === undefined || text === undefined) {
      result.rejected.push({ origin, id, errors: read.errors });
      continue;
    }
    const scenario: Scenario = { id, channel: 'sms', language, text, origin };
    if (variables) scenario.variables = variables;
    if (category) scenario.category = category;
    result.scenarios.push(scenario);
  }
  return result;
}

/** The cell as the JSON object the product's format has, whichever of the two spellings it was written in. */
function variablesCell(cell: string | undefined, read: FieldReader): unknown {
  const value = cell?.trim();
  if (!value) return undefined;
  if (value.startsWith('{')) {
    try {
      return JSON.parse(value);
    } catch (error) {
      return read.fail('variables', `not valid JSON: ${(error as Error).message}`);
    }
  }
  const variables: Record<string, { field: string; example?: string }> = {};
  for (const pair of value.split(';').map((p) => p.trim()).filter(Boolean)) {
    const match = /^([^=]+)=([^|]+)(?:\|(.*))?$/.exec(pair);
    if (!match) {
      read.fail('variables', `"${pair}" is not placeholder=field or placeholder=field|example`);
      continue;
    }
    const [, name, field, example] = match as unknown as [string, string, string, string | undefined];
    variables[name.trim()] = example?.trim() ? { field: field.trim(), example: example.trim() } : { field: field.trim() };
  }
  return variables;
}
