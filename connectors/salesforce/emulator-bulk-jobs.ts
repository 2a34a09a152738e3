import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { errorAnswer, isObject, salesforceId } from './emulator-answer.ts';
import type { Answer } from './emulator-answer.ts';
import type { ContactObject, RowError, RowValues } from './emulator-contacts.ts';

export type JobState = 'Open' | 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Failed' | 'Aborted';

export type JobOperation = 'upsert' | 'hardDelete';

export interface BulkJobSummary {
  id: string;
  operation: JobOperation;
  state: JobState;
  externalIdFieldName: string;
  numberRecordsProcessed: number;
  numberRecordsFailed: number;
  errorMessage?: string;
}

export interface BulkJobsOptions {
  /** How long a job takes once it runs, in a few steps, so a poller sees it in progress. */
  processingMs: number;
  /** Rows the job leaves unprocessed, as a job stopped partway would. */
  leaveUnprocessed?: (fields: Record<string, string>) => boolean;
  /** The user holds Bulk API Hard Delete, which Salesforce leaves off by default. */
  hardDeleteAllowed: boolean;
}

interface Job extends BulkJobSummary {
  object: string;
  lineEnding: 'LF' | 'CRLF';
  apiVersion: number;
  createdDate: string;
  systemModstamp: string;
  data?: string;
  columns: string[];
  rows: string[][];
  /** External id values of the rows, taken when the job starts running: what it locks. */
  keys: Set<string>;
  locked: Set<number>;
  next: number;
  successful: string[][];
  failed: string[][];
  unprocessed: string[][];
}

const QUEUE_MS = 20;
const STEPS = 4;
const FINISHED: ReadonlySet<JobState> = new Set(['JobComplete', 'Failed', 'Aborted']);
/** Bulk CSV: an empty cell leaves the field as it is; #N/A clears it. */
const CLEAR = '#N/A';

const notFound = (): Answer => errorAnswer(404, 'NOT_FOUND', 'The requested resource does not exist');
const invalidJob = (message: string): Answer => errorAnswer(400, 'INVALIDJOB', `InvalidJob : ${message}`);
const invalidState = (message: string): Answer => errorAnswer(409, 'INVALIDJOBSTATE', message);

/**
 * Bulk API 2.0 ingest jobs (upsert of Contact): Open → UploadComplete → InProgress → JobComplete, processed in
 * steps after the answer, never at once. While two jobs run at the same time, the later one cannot lock the
 * rows the earlier one holds: those rows fail with UNABLE_TO_LOCK_ROW, deterministically.
 */
export function createBulkJobs(contacts: ContactObject, options: BulkJobsOptions) {
  const jobs = new Map<string, Job>();
  let nextJob = 1;
  let held = false;
  const heldSteps: (() => void)[] = [];

  const running = () => [...jobs.values()].filter((job) => job.state === 'InProgress');

  function create(body: unknown, apiVersion: number): Answer {
    if (!isObject(body)) return invalidJob('The request body must be a JSON object');
    const { object, operation, contentType = 'CSV', lineEnding = 'LF', columnDelimiter = 'COMMA' } = body;
    let { externalIdFieldName } = body;
    if (object !== 'Contact') return invalidJob(`Unable to find object: ${String(object)}`);
    if (operation === 'upsert') {
      if (typeof externalIdFieldName !== 'string' || externalIdFieldName === '') {
        return invalidJob('External ID was blank for Contact. An External ID must be specified for upsert.');
      }
      if (contacts.field(externalIdFieldName)?.externalId !== true) {
        return invalidJob(`Field name provided, ${externalIdFieldName} does not match an External ID for Contact`);
      }
    } else if (operation === 'hardDelete') {
      if (!options.hardDeleteAllowed) {
        return errorAnswer(400, 'FEATURENOTENABLED', 'hardDelete requires the Bulk API Hard Delete permission, which this user does not have');
      }
      externalIdFieldName = '';
    } else {
      return invalidJob(`The emulator runs upsert and hardDelete jobs only, not ${String(operation)}`);
    }
    if (contentType !== 'CSV') return invalidJob(`Unsupported contentType: ${String(contentType)}`);
    if (lineEnding !== 'LF' && lineEnding !== 'CRLF') return invalidJob(`Invalid lineEnding: ${String(lineEnding)}`);
    if (columnDelimiter !== 'COMMA') return invalidJob(`The emulator reads COMMA delimited data only, not ${String(columnDelimiter)}`);
    const now = new Date().toISOString();
    const job: Job = {
      id: salesforceId('750', nextJob++),
      operation,
      state: 'Open',
      object,
      externalIdFieldName: externalIdFieldName as string,
      lineEnding,
      apiVersion,
      createdDate: now,
      systemModstamp: now,
      numberRecordsProcessed: 0,
      numberRecordsFailed: 0,
      columns: [],
      rows: [],
      keys: new Set(),
      locked: new Set(),
      next: 0,
      successful: [],
      failed: [],
      unprocessed: [],
    };
    jobs.set(job.id, job);
    return { status: 200, body: infoOf(job) };
  }

  function upload(id: string, contentType: string | undefined, data: string): Answer {
    const job = jobs.get(id);
    if (job === undefined) return notFound();
    if (!contentType?.startsWith('text/csv')) return errorAnswer(400, 'API_ERROR', `Unsupported content type ${String(contentType)}: a CSV job takes text/csv`);
    if (job.data !== undefined) {
      return invalidState(`Found multiple contents for job: <${id}>, please 'Close' / 'Abort' / 'Delete' the current Job then create a new Job and make sure the content is uploaded only once for a Job.`);
    }
    if (job.state !== 'Open') return invalidState(`Job ${id} is ${job.state}; data can be uploaded only while it is Open`);
    job.data = data;
    return { status: 201 };
  }

  function changeState(id: string, body: unknown): Answer {
    const job = jobs.get(id);
    if (job === undefined) return notFound();
    const state = isObject(body) ? body.state : undefined;
    if (state === 'UploadComplete' && job.state === 'Open') {
      setState(job, 'UploadComplete');
      setTimeout(() => begin(job), QUEUE_MS);
    } else if (state === 'Aborted' && !FINISHED.has(job.state)) {
      // A job aborted before it ran leaves every uploaded row unprocessed.
      if (job.state !== 'InProgress') readData(job);
      setState(job, 'Aborted');
      job.unprocessed.push(...job.rows.slice(job.next));
    } else {
      return invalidState(`Failed to change the state of job ${id} from ${job.state} to ${String(state)}`);
    }
    return { status: 200, body: infoOf(job) };
  }

  function info(id: string): Answer {
    const job = jobs.get(id);
    return job === undefined ? notFound() : { status: 200, body: infoOf(job) };
  }

  function results(id: string, set: string): Answer {
    const job = jobs.get(id);
    if (job === undefined) return notFound();
    if (!FINISHED.has(job.state)) return invalidState(`Job ${id} is ${job.state}; its results are ready once it is complete`);
    const csv = (header: string[], rows: string[][]) => stringify(rows, { header: true, columns: header, quoted: true, quoted_empty: true, record_delimiter: 'unix' });
    if (set === 'successfulResults') return { status: 200, csv: csv(['sf__Id', 'sf__Created', ...job.columns], job.successful) };
    if (set === 'failedResults') return { status: 200, csv: csv(['sf__Id', 'sf__Error', ...job.columns], job.failed) };
    return { status: 200, csv: csv(job.columns, job.unprocessed) };
  }

  function setState(job: Job, state: JobState, errorMessage?: string): void {
    job.state = state;
    job.systemModstamp = new Date().toISOString();
    if (errorMessage !== undefined) job.errorMessage = errorMessage;
  }

  function begin(job: Job): void {
    if (job.state !== 'UploadComplete' || !jobs.has(job.id)) return;
    setState(job, 'InProgress');
    const problem = readData(job);
    if (problem !== undefined) return setState(job, 'Failed', problem);
    if (job.operation === 'upsert') {
      const keyColumn = job.columns.indexOf(job.externalIdFieldName);
      const others = running().filter((other) => other !== job && other.externalIdFieldName === job.externalIdFieldName);
      job.rows.forEach((row, index) => {
        const key = row[keyColumn] ?? '';
        if (others.some((other) => other.keys.has(key))) job.locked.add(index);
        job.keys.add(key);
      });
    }
    setTimeout(() => step(job), options.processingMs / STEPS);
  }

  /** Parses the upload as the job's lineEnding says; a message when the job cannot run at all. */
  function readData(job: Job): string | undefined {
    if (job.data === undefined || job.data.trim() === '') return 'InvalidBatch : No data was uploaded for this job';
    const crlf = job.data.includes('\r\n');
    if (crlf !== (job.lineEnding === 'CRLF')) {
      return `ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is ${job.lineEnding}`;
    }
    let table: string[][];
    try {
      table = parse(job.data, { record_delimiter: crlf ? '\r\n' : '\n', skip_empty_lines: true, bom: true }) as string[][];
    } catch {
      return 'InvalidBatch : The CSV data could not be parsed';
    }
    const [header = [], ...rows] = table;
    if (job.operation === 'hardDelete' && (header.length !== 1 || header[0] !== 'Id')) return "InvalidBatch : The 'hardDelete' batch must contain only ids";
    const unknown = header.find((name) => contacts.field(name) === undefined);
    if (unknown !== undefined) return `InvalidBatch : Field name not found : ${unknown}`;
    const repeated = header.find((name, index) => header.indexOf(name) !== index);
    if (repeated !== undefined) return `InvalidBatch : Duplicate field name: ${repeated}`;
    if (job.operation === 'upsert' && !header.includes(job.externalIdFieldName)) return `InvalidBatch : The upsert data must contain the External ID field ${job.externalIdFieldName}`;
    job.columns = header;
    job.rows = rows;
    return undefined;
  }

  function step(job: Job): void {
    if (job.state !== 'InProgress') return;
    if (held) {
      heldSteps.push(() => step(job));
      return;
    }
    const end = Math.min(job.rows.length, job.next + Math.ceil(job.rows.length / STEPS));
    for (; job.next < end; job.next++) processRow(job, job.next);
    if (job.next < job.rows.length) {
      setTimeout(() => step(job), options.processingMs / STEPS);
      return;
    }
    setState(job, 'JobComplete');
  }

  function processRow(job: Job, index: number): void {
    const row = job.rows[index]!;
    if (job.operation === 'hardDelete') {
      const id = row[0] ?? '';
      const error = contacts.hardDelete(id);
      job.numberRecordsProcessed++;
      if (error === undefined) {
        job.successful.push([id, 'false', ...row]);
      } else {
        job.numberRecordsFailed++;
        job.failed.push([id, `${error.statusCode}:${error.message}:${error.fields.join(',')} --`, ...row]);
      }
      return;
    }
    const values: RowValues = {};
    job.columns.forEach((name, column) => {
      const cell = row[column] ?? '';
      if (cell !== '') values[name] = cell === CLEAR ? null : cell;
    });
    const fail = (error: RowError, id = '') => {
      job.numberRecordsProcessed++;
      job.numberRecordsFailed++;
      job.failed.push([id, `${error.statusCode}:${error.message}:${error.fields.join(',')} --`, ...row]);
    };
    const key = values[job.externalIdFieldName] ?? '';
    const existing = key === '' ? undefined : contacts.matching(job.externalIdFieldName, key)[0];
    if (job.locked.has(index)) {
      return fail({ statusCode: 'UNABLE_TO_LOCK_ROW', message: `unable to obtain exclusive access to this record or 1 records: ${existing ?? ''}`, fields: [] }, existing);
    }
    const strings = Object.fromEntries(Object.entries(values).filter((entry): entry is [string, string] => entry[1] !== null));
    if (options.leaveUnprocessed?.(strings)) {
      job.unprocessed.push(row);
      return;
    }
    const error = contacts.rowError(values, job.externalIdFieldName);
    if (error !== undefined) return fail(error, existing);
    const { id, created } = contacts.upsert(values, job.externalIdFieldName);
    job.numberRecordsProcessed++;
    job.successful.push([id, String(created), ...row]);
  }

  /** `GET /jobs/ingest`: every job the org keeps, in one page; the emulator has no Bulk API 1.0 (Classic) jobs. */
  function listAll(jobType: string | null): Answer {
    const records = jobType === null || jobType === 'V2Ingest' ? [...jobs.values()].map(listingOf) : [];
    return { status: 200, body: { done: true, records, nextRecordsUrl: null } };
  }

  /** `DELETE /jobs/ingest/{id}`: the job with its data and results, once it no longer takes data. */
  function remove(id: string): Answer {
    const job = jobs.get(id);
    if (job === undefined) return notFound();
    if (job.state === 'Open' || job.state === 'InProgress') return invalidState(`Job ${id} is ${job.state}; only a job that is UploadComplete, JobComplete, Aborted or Failed can be deleted`);
    jobs.delete(id);
    return { status: 204 };
  }

  return {
    create,
    upload,
    changeState,
    info,
    results,
    listAll,
    remove,
    /** Whether a job's uploaded data, rows or results hold this text anywhere. */
    holds: (text: string) =>
      [...jobs.values()].some(
        (job) =>
          job.data?.includes(text) === true ||
          [job.rows, job.successful, job.failed, job.unprocessed].some((table) => table.some((row) => row.some((cell) => cell.includes(text)))) ||
          [...job.keys].some((key) => key.includes(text)),
      ),
    /** Whether a running job holds the row with this external id value. */
    isLocked: (externalIdField: string, value: string) =>
      running().some((job) => job.externalIdFieldName === externalIdField && job.keys.has(value)),
    /** Running jobs stop where they are (still InProgress) until `resume`, so a test can make two overlap. */
    hold() {
      held = true;
    },
    resume() {
      held = false;
      for (const resumeStep of heldSteps.splice(0)) resumeStep();
    },
    list: (): BulkJobSummary[] =>
      [...jobs.values()].map(({ id, operation, state, externalIdFieldName, numberRecordsProcessed, numberRecordsFailed, errorMessage }) => ({
        id, operation, state, externalIdFieldName, numberRecordsProcessed, numberRecordsFailed, ...(errorMessage === undefined ? {} : { errorMessage }),
      })),
  };
}

export type BulkJobs = ReturnType<typeof createBulkJobs>;

/** A job as Get All Jobs lists it: no external id field and no counts. */
function listingOf(job: Job): Record<string, unknown> {
  return {
    id: job.id,
    operation: job.operation,
    object: job.object,
    createdById: '005Em000000000AAA',
    createdDate: job.createdDate,
    systemModstamp: job.systemModstamp,
    state: job.state,
    concurrencyMode: 'Parallel',
    contentType: 'CSV',
    apiVersion: job.apiVersion,
    jobType: 'V2Ingest',
    contentUrl: `services/data/v${job.apiVersion.toFixed(1)}/jobs/ingest/${job.id}/batches`,
    lineEnding: job.lineEnding,
    columnDelimiter: 'COMMA',
  };
}

function infoOf(job: Job): Record<string, unknown> {
  return {
    ...listingOf(job),
    ...(job.operation === 'upsert' ? { externalIdFieldName: job.externalIdFieldName } : {}),
    numberRecordsProcessed: job.numberRecordsProcessed,
    numberRecordsFailed: job.numberRecordsFailed,
    retries: 0,
    ...(job.errorMessage === undefined ? {} : { errorMessage: job.errorMessage }),
  };
}
