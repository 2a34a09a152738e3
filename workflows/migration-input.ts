import { campaignConfigProblems, type CampaignConfig } from './opt-in-campaign-input.ts';
import { CRM_NAMES, type CrmName } from '../connectors/crm-contact.ts';

/**
 * The one JSON input of `migrationWorkflow`, as typed in the Temporal UI's form, a config file, or a client.
 * It names where the data is, never the data itself (design rule 1); vendor credentials stay with the worker.
 */
export interface MigrationInput {
  /** Names the migration: its workflow id is `migration-<migrationId>` and its data is kept under it. */
  migrationId: string;
  /** Where the customers are today; each source's `name` is unique within the migration. */
  sources: Source[];
  /**
   * Read only what changed since this migration's last extraction of each source (its watermark), instead of
   * treating a source already read as done. For the scheduled syncs of the transition window.
   */
  incremental?: boolean;
  /** A folder (as the worker sees it) where the raw extract of each source is archived before cleaning. */
  backupDir?: string;
  /** Contacts per verification and sync batch (at most 1,000, the contacts check's limit). */
  batchSize?: number;
  /** Batches in flight at once. */
  concurrency?: number;
  /** How WhatsApp reachability is estimated; validity and line type always count. */
  verify?: VerifyConfig;
  /** The opt-in campaign that follows verification; without it the migration goes from verify to sync. */
  optIn?: CampaignConfig;
  /** The CRMs the contacts are kept in step with, each upserted by E.164. Default `["hubspot"]`. */
  crms?: CrmName[];
}

/** Verification strategies, combined: each adds evidence to the line type's. */
export interface VerifyConfig {
  /** Ask the carrier's line type of each number that could be mobile, within the vendor's rate. */
  carrierLookup?: 'plivo' | 'vonage';
  /** The legacy contacts check (`POST /v1/contacts`), for a provider that still offers one. */
  contactsCheck?: boolean;
  /** Contacts silent for longer are marked for re-engagement. Default 365. */
  inactiveAfterDays?: number;
}

export type Source = CsvSource | VonageSource | VonageReportFileSource | PlivoSource | ViberSource;

export type SourceKind = Source['kind'];

interface SourceBase {
  /** A short label kept with every row, so merged contacts can say where they came from. */
  name: string;
  /** ISO 3166 alpha-2 region for numbers written without a country code when the record names no country. */
  defaultCountry?: string;
}

/** Any CSV export (an ESP's, a gateway's, a spreadsheet): columns named by a mapping. */
export interface CsvSource extends SourceBase {
  kind: 'csv';
  /** The file as the worker sees it (an absolute path, or relative to the worker's folder). */
  path: string;
  /** The channel the business reaches these customers on today. Default `sms`. */
  channel?: SourceChannel;
  /** Header names: `phone` is required; `lastInteraction` is a date (ISO 8601); `viberUserId` a Viber user id. */
  columns: { phone: string; name?: string; country?: string; lastInteraction?: string; viberUserId?: string };
  /** Detected when left out: UTF-8 (with or without BOM), UTF-16 by its BOM, Windows-1256 for lines that are not UTF-8. */
  encoding?: FileEncoding;
  /** Detected from the header line when left out: `,` `;` tab or `|`. */
  delimiter?: string;
}

/** SMS history from Vonage's Reports API: one record per message, inbound and outbound. */
export interface VonageSource extends SourceBase {
  kind: 'vonage';
  /** The Vonage account (API key) whose messages are read. */
  accountId: string;
  /** ISO 8601: the first message time read (inclusive). */
  from: string;
  /** ISO 8601: the end of the history read (exclusive). Default: when the extraction starts. */
  to?: string;
  /** `sync` pages through `/v2/reports/records` a day at a time; `async` asks for one report file per direction. */
  mode?: 'sync' | 'async';
}

/** A report CSV (or its zip) downloaded from Vonage's dashboard or Reports API, imported as it is. */
export interface VonageReportFileSource extends SourceBase {
  kind: 'vonage-report-file';
  path: string;
}

/** SMS history from Plivo's Message API (`/v1/Account/{auth_id}/Message/`). */
export interface PlivoSource extends SourceBase {
  kind: 'plivo';
  /** ISO 8601: the first message time read (inclusive). Plivo keeps 90 days. */
  from: string;
  /** ISO 8601: the end of the history read (exclusive). Default: when the extraction starts. */
  to?: string;
}

/**
 * The Viber bot's subscribers, as the webhook recorded them (Viber has no list to download), plus the
 * business's own subscriber records when it has a file of them.
 */
export interface ViberSource extends SourceBase {
  kind: 'viber';
  /** The bot whose subscribers are read, as the receiving worker's VIBER_BOT names it. Default `default`. */
  bot?: string;
  /** A CSV of the business's subscriber records, with the columns named in `recordColumns`. */
  recordsPath?: string;
  recordColumns?: { viberUserId: string; name?: string; phone?: string; country?: string; subscribedAt?: string };
  /** Ask Viber's `get_user_details` for the name and country a subscriber's record lacks. Default true. */
  enrich?: boolean;
}

export type SourceChannel = 'sms' | 'viber';
export type FileEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1256';

export const sourceKinds: readonly SourceKind[] = ['csv', 'vonage', 'vonage-report-file', 'plivo', 'viber'];
export const sourceChannels: readonly SourceChannel[] = ['sms', 'viber'];
export const fileEncodings: readonly FileEncoding[] = ['utf-8', 'utf-16le', 'utf-16be', 'windows-1256'];

export const MAX_BATCH_SIZE = 1000;

export const migrationDefaults = { batchSize: MAX_BATCH_SIZE, concurrency: 4, crms: ['hubspot'] } as const;

export const MIGRATION_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const SOURCE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;
const REGION = /^[A-Z]{2}$/;

/** Every problem with an input, each naming its field; empty when the input is usable. */
export function migrationInputProblems(value: unknown): string[] {
  const problems: string[] = [];
  if (!isObject(value)) return ['the input must be a JSON object'];
  if (typeof value.migrationId !== 'string' || !MIGRATION_ID.test(value.migrationId)) {
    problems.push('migrationId: 1 to 63 characters of a-z, 0-9, "-" and "_", starting with a letter or digit');
  }
  if (!Array.isArray(value.sources) || value.sources.length === 0) {
    problems.push('sources: a list of at least one source is required');
  } else {
    const seen = new Set<unknown>();
    value.sources.forEach((source: unknown, index) => {
      const at = `sources[${index}]`;
      if (!isObject(source)) return problems.push(`${at}: an object is required`);
      if (seen.has(source.name)) problems.push(`${at}.name: "${String(source.name)}" names another source too`);
      seen.add(source.name);
      sourceProblems(source, at, problems);
    });
  }
  if (value.incremental !== undefined && typeof value.incremental !== 'boolean') problems.push('incremental: true or false');
  if (value.backupDir !== undefined && !isText(value.backupDir)) problems.push('backupDir: a folder path');
  checkWholeNumber(value.batchSize, 'batchSize', 1, MAX_BATCH_SIZE, problems);
  checkWholeNumber(value.concurrency, 'concurrency', 1, 32, problems);
  if (value.verify !== undefined) verifyProblems(value.verify, problems);
  if (value.optIn !== undefined) problems.push(...campaignConfigProblems(value.optIn, 'optIn'));
  const crmsValid = Array.isArray(value.crms) && value.crms.every((crm) => CRM_NAMES.includes(crm as CrmName)) && new Set(value.crms).size === value.crms.length;
  if (value.crms !== undefined && !crmsValid) problems.push(`crms: a list of distinct CRMs among ${CRM_NAMES.map((c) => `"${c}"`).join(', ')}`);
  return problems;
}

function verifyProblems(verify: unknown, problems: string[]): void {
  if (!isObject(verify)) return void problems.push('verify: an object is required');
  if (verify.carrierLookup !== undefined && verify.carrierLookup !== 'plivo' && verify.carrierLookup !== 'vonage') {
    problems.push('verify.carrierLookup: "plivo" or "vonage"');
  }
  if (verify.contactsCheck !== undefined && typeof verify.contactsCheck !== 'boolean') problems.push('verify.contactsCheck: true or false');
  checkWholeNumber(verify.inactiveAfterDays, 'verify.inactiveAfterDays', 1, 36500, problems);
}

function sourceProblems(source: Record<string, unknown>, at: string, problems: string[]): void {
  if (typeof source.name !== 'string' || !SOURCE_NAME.test(source.name)) {
    problems.push(`${at}.name: 1 to 63 characters of letters, digits, ".", "-" and "_"`);
  }
  if (source.defaultCountry !== undefined && (typeof source.defaultCountry !== 'string' || !REGION.test(source.defaultCountry))) {
    problems.push(`${at}.defaultCountry: an ISO 3166 alpha-2 code in capitals, like "AE"`);
  }
  switch (source.kind) {
    case 'csv':
      requireText(source, 'path', at, 'a file path', problems);
      checkColumns(source.columns, `${at}.columns`, 'phone', ['name', 'country', 'lastInteraction', 'viberUserId'], problems);
      if (source.channel !== undefined && !sourceChannels.includes(source.channel as SourceChannel)) {
        problems.push(`${at}.channel: one of ${sourceChannels.join(', ')}`);
      }
      if (source.encoding !== undefined && !fileEncodings.includes(source.encoding as FileEncoding)) {
        problems.push(`${at}.encoding: one of ${fileEncodings.join(', ')}, or left out to detect it`);
      }
      if (source.delimiter !== undefined && (typeof source.delimiter !== 'string' || source.delimiter.length !== 1)) {
        problems.push(`${at}.delimiter: one character, or left out to detect it`);
      }
      return;
    case 'vonage':
      requireText(source, 'accountId', at, 'the Vonage API key whose messages are read', problems);
      checkPeriod(source, at, problems);
      if (source.mode !== undefined && source.mode !== 'sync' && source.mode !== 'async') problems.push(`${at}.mode: "sync" or "async"`);
      return;
    case 'vonage-report-file':
      requireText(source, 'path', at, 'a file path', problems);
      return;
    case 'plivo':
      checkPeriod(source, at, problems);
      return;
    case 'viber':
      if (source.bot !== undefined && (typeof source.bot !== 'string' || !SOURCE_NAME.test(source.bot))) {
        problems.push(`${at}.bot: 1 to 63 characters of letters, digits, ".", "-" and "_"`);
      }
      if (source.recordsPath !== undefined && !isText(source.recordsPath)) problems.push(`${at}.recordsPath: a file path`);
      if (source.recordsPath !== undefined || source.recordColumns !== undefined) {
        checkColumns(source.recordColumns, `${at}.recordColumns`, 'viberUserId', ['name', 'phone', 'country', 'subscribedAt'], problems);
      }
      if (source.enrich !== undefined && typeof source.enrich !== 'boolean') problems.push(`${at}.enrich: true or false`);
      return;
    default:
      problems.push(`${at}.kind: one of ${sourceKinds.join(', ')}`);
  }
}

function checkColumns(columns: unknown, at: string, required: string, optional: string[], problems: string[]): void {
  if (!isObject(columns) || !isText(columns[required])) {
    problems.push(`${at}.${required}: the name of the column is required`);
    return;
  }
  for (const name of optional) {
    if (columns[name] !== undefined && !isText(columns[name])) problems.push(`${at}.${name}: must be a column name`);
  }
}

function checkPeriod(source: Record<string, unknown>, at: string, problems: string[]): void {
  const from = isoTime(source.from);
  if (from === undefined) problems.push(`${at}.from: an ISO 8601 time, like "2026-01-01T00:00:00Z"`);
  if (source.to === undefined) return;
  const to = isoTime(source.to);
  if (to === undefined) problems.push(`${at}.to: an ISO 8601 time, like "2026-02-01T00:00:00Z"`);
  else if (from !== undefined && to <= from) problems.push(`${at}.to: must be later than from`);
}

function isoTime(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}/.test(value)) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : time;
}

function requireText(source: Record<string, unknown>, field: string, at: string, what: string, problems: string[]): void {
  if (!isText(source[field])) problems.push(`${at}.${field}: ${what} is required`);
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
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
