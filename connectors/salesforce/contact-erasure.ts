import { ApplicationFailure } from '@temporalio/common';
import { stringify } from 'csv-stringify/sync';
import { redactPhoneNumbers } from '../../privacy/redact-phone-numbers.ts';
import type { CrmErasure } from '../crm-contact.ts';
import { vendorFailure } from '../vendor-failure.ts';
import { FINISHED_JOB_STATES, jobResults, rowErrorOf, runIngestJob } from './bulk-ingest-job.ts';
import { isJobId, type IngestJobOptions, type ResultSet } from './bulk-ingest-job.ts';
import { errorsOf } from './rest-api.ts';
import type { SalesforceApi } from './rest-api.ts';

export interface ContactErasureOptions extends IngestJobOptions {
  externalIdField: string;
  /**
   * The integration user holds the Bulk API Hard Delete permission: records are deleted past the Recycle Bin.
   * Without it they are deleted through the REST API and wait in the Recycle Bin for 15 days, which no REST call
   * can empty.
   */
  hardDelete: boolean;
}

interface IngestJobListing {
  records?: { id?: unknown; object?: unknown; operation?: unknown; state?: unknown }[];
  nextRecordsUrl?: unknown;
}

/** A running Bulk job ends within minutes; the erasure looks again after this. */
const RUNNING_JOB_RECHECK_MS = 30_000;
const RECORD_ID = /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/;
const RESULT_SETS: readonly ResultSet[] = ['successfulResults', 'failedResults', 'unprocessedrecords'];

/**
 * Erases a person from the org: the sync's finished Bulk upsert jobs whose data holds the number (Salesforce
 * keeps a job's CSV and results for 7 days), then every Contact whose external id field holds it. Waits, with a
 * retryable failure, while a Bulk upsert on Contact runs: its rows may hold the number and write the record again.
 */
export async function eraseContact(api: SalesforceApi, e164: string, options: ContactErasureOptions): Promise<CrmErasure> {
  const jobs = await contactUpsertJobs(api);
  const running = jobs.filter((job) => job.state === 'UploadComplete' || job.state === 'InProgress');
  if (running.length > 0) {
    throw ApplicationFailure.create({
      type: 'SalesforceUnavailable',
      message: `Salesforce Bulk job ${running.map((job) => job.id).join(', ')} still runs on Contact; its rows may write the record again, so the erasure waits for it to end`,
      nonRetryable: false,
      nextRetryDelay: RUNNING_JOB_RECHECK_MS,
    });
  }
  for (const job of jobs) {
    if (!FINISHED_JOB_STATES.has(job.state)) continue;
    // A Failed job's uploaded data cannot be read back, so it goes whether or not it holds the number.
    if (job.state === 'Failed' || (await jobHolds(api, job.id, e164))) await api.request('DELETE', `/jobs/ingest/${job.id}`, { expected: [404] });
  }

  const ids = await recordIdsOf(api, e164, options.externalIdField);
  if (ids.length === 0) return { outcome: 'absent', records: 0 };
  if (options.hardDelete) {
    await hardDelete(api, ids, options);
  } else {
    // 404: someone deleted it between our look and now, which is just as good.
    for (const id of ids) await api.request('DELETE', `/sobjects/Contact/${id}`, { expected: [404] });
  }
  return { outcome: 'deleted', records: ids.length };
}

/**
 * `GET /sobjects/Contact/{field}/{value}`: the record (200), the URLs of several (300), or none (404). A 404 for
 * the field itself is a setup mistake, never "no such person".
 */
async function recordIdsOf(api: SalesforceApi, e164: string, externalIdField: string): Promise<string[]> {
  const answer = await api.request('GET', `/sobjects/Contact/${encodeURIComponent(externalIdField)}/${encodeURIComponent(e164)}`, {
    expected: [300, 404],
  });
  if (answer.status === 404) {
    if (errorsOf(answer.text).some((error) => error.message?.startsWith('Provided external ID field'))) {
      throw vendorFailure('Salesforce', answer.status, answer.text);
    }
    return [];
  }
  const parsed = JSON.parse(answer.text) as unknown;
  const ids =
    answer.status === 300
      ? (Array.isArray(parsed) ? parsed : []).map((url) => (typeof url === 'string' ? url.split('/').at(-1) : undefined))
      : [(parsed as { Id?: unknown } | null)?.Id];
  if (ids.length === 0 || !ids.every((id): id is string => typeof id === 'string' && RECORD_ID.test(id))) {
    throw ApplicationFailure.create({
      type: 'SalesforceUnavailable',
      message: `Salesforce answered HTTP ${answer.status} to the Contact look-up by ${externalIdField} without usable record ids`,
      nonRetryable: false,
    });
  }
  return ids;
}

/** One Bulk API 2.0 hardDelete job for the records; any record it did not delete fails the erasure. */
async function hardDelete(api: SalesforceApi, ids: readonly string[], options: IngestJobOptions): Promise<void> {
  const csv = stringify(
    ids.map((id) => [id]),
    { header: true, columns: ['Id'], record_delimiter: 'unix' },
  );
  const job = await runIngestJob(api, { object: 'Contact', operation: 'hardDelete' }, csv, options);
  const deleted = new Set((await job.results('successfulResults'))?.map((row) => row.sf__Id ?? row.Id));
  if (ids.every((id) => deleted.has(id))) return;
  const errors = ((await job.results('failedResults')) ?? []).map((row) => rowErrorOf(row.sf__Error ?? ''));
  const passing = errors.every((error) => error.statusCode === 'UNABLE_TO_LOCK_ROW');
  const reasons = errors.length === 0 ? 'left unprocessed' : errors.map((error) => `${error.statusCode}: ${error.message}`).join('; ');
  throw ApplicationFailure.create({
    type: passing ? 'SalesforceUnavailable' : 'SalesforceRejected',
    message: `Salesforce Bulk job ${job.id} hard deleted ${ids.filter((id) => deleted.has(id)).length} of ${ids.length} Contact records: ${redactPhoneNumbers(reasons)}`,
    nonRetryable: !passing,
  });
}

/** Every Bulk API 2.0 upsert job on Contact the org still keeps, page by page. */
async function contactUpsertJobs(api: SalesforceApi): Promise<{ id: string; state: string }[]> {
  const jobs: { id: string; state: string }[] = [];
  let path: string | undefined = '/jobs/ingest?jobType=V2Ingest';
  while (path !== undefined) {
    const listing = JSON.parse((await api.request('GET', path)).text) as IngestJobListing;
    for (const { id, object, operation, state } of listing.records ?? []) {
      if (object === 'Contact' && operation === 'upsert' && isJobId(id)) jobs.push({ id, state: String(state) });
    }
    // nextRecordsUrl is a full path from /services/data/vXX.X on.
    const next = typeof listing.nextRecordsUrl === 'string' ? /^\/services\/data\/v[\d.]+(\/.+)$/.exec(listing.nextRecordsUrl)?.[1] : undefined;
    path = next;
  }
  return jobs;
}

async function jobHolds(api: SalesforceApi, jobId: string, e164: string): Promise<boolean> {
  for (const set of RESULT_SETS) {
    const rows = await jobResults(api, jobId, set);
    if (rows === undefined) return false;
    if (rows.some((row) => Object.values(row).some((cell) => cell.includes(e164)))) return true;
  }
  return false;
}
