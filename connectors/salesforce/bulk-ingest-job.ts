import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/common';
import { parse } from 'csv-parse/sync';
import { redactPhoneNumbers } from '../../privacy/redact-phone-numbers.ts';
import type { SalesforceApi } from './rest-api.ts';
import type { RowError } from './row-outcome.ts';

export interface IngestJobOptions {
  pollIntervalMs: number;
  /** Called on every poll of the job, so a long job keeps its activity's heartbeat going. */
  onProgress?: () => void;
}

export type ResultSet = 'successfulResults' | 'failedResults' | 'unprocessedrecords';

/** A Bulk API 2.0 ingest job that ran to JobComplete. */
export interface CompletedIngestJob {
  id: string;
  /** One of its result sets, each row as column name → cell; undefined once the job is deleted. */
  results(set: ResultSet): Promise<Record<string, string>[] | undefined>;
}

interface JobInfo {
  id?: unknown;
  state?: unknown;
  errorMessage?: unknown;
}

/** The states a job never leaves. */
export const FINISHED_JOB_STATES: ReadonlySet<string> = new Set(['JobComplete', 'Failed', 'Aborted']);

/** A Bulk job id as Salesforce gives it: checked before it goes into a request path. */
export function isJobId(id: unknown): id is string {
  return typeof id === 'string' && /^\w+$/.test(id);
}

/**
 * Runs one Bulk API 2.0 ingest job: create, upload the CSV, mark UploadComplete (nothing runs without it), poll
 * until it finishes. A job that ends Failed or Aborted fails for good with Salesforce's errorMessage.
 */
export async function runIngestJob(api: SalesforceApi, job: Record<string, unknown>, csv: string, options: IngestJobOptions): Promise<CompletedIngestJob> {
  const created = await api.request('POST', '/jobs/ingest', { json: { ...job, contentType: 'CSV', lineEnding: 'LF' } });
  const jobId = (JSON.parse(created.text) as JobInfo).id;
  if (!isJobId(jobId)) {
    throw ApplicationFailure.create({ type: 'SalesforceUnavailable', message: 'Salesforce created a Bulk job but named no id', nonRetryable: false });
  }
  const jobPath = `/jobs/ingest/${jobId}`;
  await api.request('PUT', `${jobPath}/batches`, { csv });
  await api.request('PATCH', jobPath, { json: { state: 'UploadComplete' } });

  let info: JobInfo;
  do {
    await sleep(options.pollIntervalMs);
    options.onProgress?.();
    info = JSON.parse((await api.request('GET', jobPath)).text) as JobInfo;
  } while (!FINISHED_JOB_STATES.has(String(info.state)));
  if (info.state !== 'JobComplete') {
    const reason = typeof info.errorMessage === 'string' && info.errorMessage !== '' ? info.errorMessage : 'no errorMessage given';
    throw ApplicationFailure.create({
      type: 'SalesforceRejected',
      message: `Salesforce Bulk job ${jobId} ended ${String(info.state)}: ${redactPhoneNumbers(reason)}`,
      nonRetryable: true,
    });
  }
  return { id: jobId, results: (set) => jobResults(api, jobId, set) };
}

/** A finished job's result set; undefined when the job is gone (deleted, by an erasure or after 7 days). */
export async function jobResults(api: SalesforceApi, jobId: string, set: ResultSet): Promise<Record<string, string>[] | undefined> {
  const answer = await api.request('GET', `/jobs/ingest/${jobId}/${set}`, { accept: 'csv', expected: [404] });
  if (answer.status === 404) return undefined;
  return parse(answer.text, { columns: true, skip_empty_lines: true, bom: true }) as Record<string, string>[];
}

/** `sf__Error` reads `STATUS_CODE:message:fields --`; the message itself may hold colons. */
export function rowErrorOf(sfError: string): RowError {
  const match = /^([A-Z_]+):(.*?)(?::[^:]*)?\s*--\s*$/s.exec(sfError) ?? /^([A-Z_]+):(.*)$/s.exec(sfError);
  if (match === null) return { statusCode: 'UNKNOWN_ERROR', message: sfError || 'Salesforce gave no sf__Error' };
  return { statusCode: match[1]!, message: match[2]!.trim() };
}
