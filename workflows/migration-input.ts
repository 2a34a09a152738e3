/**
 * The one JSON input of `migrationWorkflow`, as typed in the Temporal UI's form, a config file, or a client.
 * It names where the data is, never the data itself (design rule 1); vendor credentials stay with the worker.
 */
export interface MigrationInput {
  /** Names the migration: its workflow id is `migration-<migrationId>` and its data is kept under it. */
  migrationId: string;
  source: CsvSource;
  /** Contacts per verification and sync batch (at most 1,000, the contacts check's limit). */
  batchSize?: number;
  /** Batches in flight at once. */
  concurrency?: number;
}

export interface CsvSource {
  kind: 'csv';
  /** A short label kept with every row, so merged contacts can say where they came from. */
  name: string;
  /** The file as the worker sees it (an absolute path, or relative to the worker's folder). */
  path: string;
  /** The channel the business reaches these customers on today. Default `sms`. */
  channel?: SourceChannel;
  /** Header names: `phone` is required; `lastInteraction` is a date (ISO 8601); `viberUserId` a Viber user id. */
  columns: { phone: string; name?: string; country?: string; lastInteraction?: string; viberUserId?: string };
  /** ISO 3166 alpha-2 region for numbers written without a country code and rows without a country column. */
  defaultCountry?: string;
}

export type SourceChannel = 'sms' | 'viber';

export const sourceChannels: readonly SourceChannel[] = ['sms', 'viber'];

export const MAX_BATCH_SIZE = 1000;

export const migrationDefaults = { batchSize: MAX_BATCH_SIZE, concurrency: 4 } as const;

const MIGRATION_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const REGION = /^[A-Z]{2}$/;

/** Every problem with an input, each naming its field; empty when the input is usable. */
export function migrationInputProblems(value: unknown): string[] {
  const problems: string[] = [];
  if (!isObject(value)) return ['the input must be a JSON object'];
  if (typeof value.migrationId !== 'string' || !MIGRATION_ID.test(value.migrationId)) {
    problems.push('migrationId: 1 to 63 characters of a-z, 0-9, "-" and "_", starting with a letter or digit');
  }
  const source = value.source;
  if (!isObject(source)) {
    problems.push('source: an object is required');
  } else {
    if (source.kind !== 'csv') problems.push('source.kind: must be "csv"');
    if (typeof source.name !== 'string' || source.name.trim() === '') problems.push('source.name: a non-empty string is required');
    if (typeof source.path !== 'string' || source.path.trim() === '') problems.push('source.path: a file path is required');
    const columns = source.columns;
    if (!isObject(columns) || typeof columns.phone !== 'string' || columns.phone === '') {
      problems.push('source.columns.phone: the name of the phone number column is required');
    } else {
      for (const optional of ['name', 'country', 'lastInteraction', 'viberUserId'] as const) {
        if (columns[optional] !== undefined && typeof columns[optional] !== 'string') {
          problems.push(`source.columns.${optional}: must be a column name`);
        }
      }
    }
    if (source.channel !== undefined && !sourceChannels.includes(source.channel as SourceChannel)) {
      problems.push(`source.channel: one of ${sourceChannels.join(', ')}`);
    }
    if (source.defaultCountry !== undefined && (typeof source.defaultCountry !== 'string' || !REGION.test(source.defaultCountry))) {
      problems.push('source.defaultCountry: an ISO 3166 alpha-2 code in capitals, like "AE"');
    }
  }
  checkWholeNumber(value.batchSize, 'batchSize', 1, MAX_BATCH_SIZE, problems);
  checkWholeNumber(value.concurrency, 'concurrency', 1, 32, problems);
  return problems;
}

function checkWholeNumber(value: unknown, field: string, min: number, max: number, problems: string[]): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    problems.push(`${field}: a whole number from ${min} to ${max}`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function migrationWorkflowId(migrationId: string): string {
  return `migration-${migrationId}`;
}
