import { stringify } from 'csv-stringify/sync';
import { rowErrorOf, runIngestJob } from './bulk-ingest-job.ts';
import type { IngestJobOptions } from './bulk-ingest-job.ts';
import type { SalesforceApi } from './rest-api.ts';
import { refusedRow, unreportedRow } from './row-outcome.ts';
import type { ContactRow, RowOutcome } from './row-outcome.ts';

export interface BulkUpsertOptions extends IngestJobOptions {
  externalIdField: string;
}

/**
 * Upserts through one Bulk API 2.0 ingest job, then reads its three result sets. Result order is not guaranteed,
 * so rows are matched back by their external id. The outcomes keep the order of `rows`.
 */
export async function upsertByBulkJob(api: SalesforceApi, rows: readonly ContactRow[], options: BulkUpsertOptions): Promise<RowOutcome[]> {
  const { externalIdField } = options;
  const job = await runIngestJob(api, { object: 'Contact', operation: 'upsert', externalIdFieldName: externalIdField }, csvOf(rows, externalIdField), options);
  const jobId = job.id;
  const successful = await job.results('successfulResults');
  const failed = await job.results('failedResults');
  const unprocessed = await job.results('unprocessedrecords');
  if (successful === undefined || failed === undefined || unprocessed === undefined) {
    // An erasure deleted the finished job before we read it; the rows go again in the next write, as upserts may.
    const reason = `Salesforce deleted Bulk job ${jobId} before its results were read`;
    return rows.map(({ contactId }) => ({ contactId, kind: 'retryLater', statusCode: 'JOB_DELETED', reason }));
  }

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
