import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/common';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { redactPhoneNumbers } from '../../privacy/redact-phone-numbers.ts';
import type { SalesforceApi } from './rest-api.ts';
import { refusedRow, unreportedRow } from './row-outcome.ts';
import type { ContactRow, RowError, RowOutcome } from './row-outcome.ts';

export interface BulkUpsertOptions {
  externalIdField: string;
  pollIntervalMs: number;
  /** Called on every poll of the job, so a long job keeps its activity's heartbeat going. */
  onProgress?: () => void;
}

interface JobInfo {
  id?: unknown;
  state?: unknown;
  errorMessage?: unknown;
}

const FINISHED = new Set(['JobComplete', 'Failed', 'Aborted']);

/**
 * Upserts through one Bulk API 2.0 ingest job: create, upload the CSV, mark UploadComplete (nothing runs
 * without it), poll until it finishes, then read its three result sets. Result order is not guaranteed, so rows
 * are matched back by their external id. The outcomes keep the order of `rows`.
 */
export async function upsertByBulkJob(api: SalesforceApi, rows: readonly ContactRow[], options: BulkUpsertOptions): Promise<RowOutcome[]> {
  const { externalIdField } = options;
  const created = await api.request('POST', '/jobs/ingest', {
    json: { object: 'Contact', operation: 'upsert', externalIdFieldName: externalIdField, contentType: 'CSV', lineEnding: 'LF' },
  });
  const jobId = (JSON.parse(created.text) as JobInfo).id;
  if (typeof jobId !== 'string' || !/^\w+$/.test(jobId)) {
    throw ApplicationFailure.create({ type: 'SalesforceUnavailable', message: 'Salesforce created a Bulk job but named no id', nonRetryable: false });
  }
  const jobPath = `/jobs/ingest/${jobId}`;
  await api.request('PUT', `${jobPath}/batches`, { csv: csvOf(rows, externalIdField) });
  await api.request('PATCH', jobPath, { json: { state: 'UploadComplete' } });

  let job: JobInfo;
  do {
    await sleep(options.pollIntervalMs);
    options.onProgress?.();
    job = JSON.parse((await api.request('GET', jobPath)).text) as JobInfo;
  } while (!FINISHED.has(String(job.state)));
  if (job.state !== 'JobComplete') {
    const reason = typeof job.errorMessage === 'string' && job.errorMessage !== '' ? job.errorMessage : 'no errorMessage given';
    throw ApplicationFailure.create({
      type: 'SalesforceRejected',
      message: `Salesforce Bulk job ${jobId} ended ${String(job.state)}: ${redactPhoneNumbers(reason)}`,
      nonRetryable: true,
    });
  }

  const resultRows = async (resultSet: string) =>
    parse((await api.request('GET', `${jobPath}/${resultSet}`, { accept: 'csv' })).text, {
      columns: true,
      skip_empty_lines: true,
      bom: true,
    }) as Record<string, string>[];
  const successful = await resultRows('successfulResults');
  const failed = await resultRows('failedResults');
  const unprocessed = await resultRows('unprocessedrecords');

  const rowByExternalId = new Map(rows.map((row) => [row.externalId, row]));
  const outcomes = new Map<string, RowOutcome>();
  function record(result: Record<string, string>, outcomeOf: (row: ContactRow) => RowOutcome): void {
    const row = rowByExternalId.get(result[externalIdField] ?? '');
    if (row !== undefined && !outcomes.has(row.contactId)) outcomes.set(row.contactId, outcomeOf(row));
  }
  for (const result of successful) {
    record(result, ({ contactId }) =>
      result.sf__Id
        ? { contactId, kind: 'written', recordId: result.sf__Id, created: result.sf__Created === 'true' }
        : unreportedRow(contactId, `Salesforce listed the row as successful in Bulk job ${jobId} without a record id`),
    );
  }
  for (const result of failed) record(result, ({ contactId }) => refusedRow(contactId, [rowErrorOf(result.sf__Error ?? '')]));
  for (const result of unprocessed) {
    record(result, ({ contactId }) => ({
      contactId,
      kind: 'retryLater',
      statusCode: 'UNPROCESSED',
      reason: `Salesforce did not process this row in Bulk job ${jobId}`,
    }));
  }
  return rows.map(
    (row) => outcomes.get(row.contactId) ?? unreportedRow(row.contactId, `Salesforce's Bulk job ${jobId} reported nothing about this row`),
  );
}

/** The external id first, then every other field any row sets; an empty cell leaves the field as it is. */
function csvOf(rows: readonly ContactRow[], externalIdField: string): string {
  const columns = [externalIdField];
  for (const row of rows) {
    for (const name of Object.keys(row.fields)) if (!columns.includes(name)) columns.push(name);
  }
  return stringify(
    rows.map((row) => columns.map((name) => row.fields[name] ?? '')),
    { header: true, columns, record_delimiter: 'unix' },
  );
}

/** `sf__Error` reads `STATUS_CODE:message:fields --`; the message itself may hold colons. */
function rowErrorOf(sfError: string): RowError {
  const match = /^([A-Z_]+):(.*?)(?::[^:]*)?\s*--\s*$/s.exec(sfError) ?? /^([A-Z_]+):(.*)$/s.exec(sfError);
  if (match === null) return { statusCode: 'UNKNOWN_ERROR', message: sfError || 'Salesforce gave no sf__Error' };
  return { statusCode: match[1]!, message: match[2]!.trim() };
}
