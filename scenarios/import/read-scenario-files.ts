import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { mergeResults, type ImportResult } from './import-result.ts';
import { parseScenarioFile } from './scenario-file.ts';
import { parseSmsCsv } from './sms-csv.ts';
import { parseViberMessages } from './viber-messages.ts';

/**
 * Reads scenario files of any of the three formats: `.csv` is an SMS export; a JSON array holds Viber
 * `send_message` bodies; a JSON object with `scenarios` is the product's format. A file that cannot be opened
 * throws; a file whose content is wrong comes back as rejected entries.
 */
export async function readScenarioFiles(paths: string[]): Promise<ImportResult> {
  const results: ImportResult[] = [];
  for (const path of paths) results.push(readScenarioContent(await readFile(path, 'utf8'), path));
  return mergeResults(results);
}

export function readScenarioContent(content: string, file: string): ImportResult {
  if (extname(file).toLowerCase() === '.csv') return parseSmsCsv(content, file);
  let json: unknown;
  try {
    json = JSON.parse(content.replace(/^\uFEFF/, ''));
  } catch (error) {
    return { scenarios: [], rejected: [{ origin: file, errors: [{ field: '(file)', reason: `neither CSV (by its extension) nor valid JSON: ${(error as Error).message}` }] }] };
  }
  return Array.isArray(json) ? parseViberMessages(json, file) : parseScenarioFile(json, file);
}
