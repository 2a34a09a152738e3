import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { text } from 'node:stream/consumers';
import { listenOnLoopback } from '../loopback-server.ts';
import { errorAnswer } from './emulator-answer.ts';
import type { Answer } from './emulator-answer.ts';
import { createBulkJobs } from './emulator-bulk-jobs.ts';
import type { BulkJobSummary } from './emulator-bulk-jobs.ts';
import { collectionsUpsert } from './emulator-collections.ts';
import { createContactObject } from './emulator-contacts.ts';
import type { StoredContact } from './emulator-contacts.ts';
import { logIn } from './emulator-login.ts';
import type { ConnectedApp } from './emulator-login.ts';

export interface SalesforceEmulatorOptions {
  /** The org's rolling 24-hour API allocation; every API request counts. */
  dailyApiRequests?: number;
  /** Sessions older than this answer INVALID_SESSION_ID. */
  sessionLifetimeMs?: number;
  /** How long a Bulk job runs once UploadComplete. */
  bulkProcessingMs?: number;
  /** A validation rule's message for a record Salesforce should refuse (FIELD_CUSTOM_VALIDATION_EXCEPTION). */
  rejectRecord?: (fields: Record<string, string>) => string | undefined;
  /** Rows a Bulk job leaves unprocessed. */
  leaveUnprocessed?: (fields: Record<string, string>) => boolean;
  /** The integration user holds Bulk API Hard Delete; Salesforce leaves it off by default, and so does the emulator. */
  bulkApiHardDelete?: boolean;
}

export interface SalesforceEmulator {
  /** The login server: the token endpoint only. */
  loginUrl: string;
  /** The org's instance, on another port: the REST API only. */
  instanceUrl: string;
  clientId: string;
  clientSecret: string;
  consumerKey: string;
  username: string;
  /** PEM (PKCS #8) key whose public half the connected app verifies JWT assertions with. */
  privateKey: string;
  /** Contacts as `{Id, ...fields}`. */
  records(): StoredContact[];
  /** Deleted Contacts Salesforce still keeps, restorable, for 15 days. */
  recycleBin(): StoredContact[];
  /**
   * Ground truth for erasure tests: whether anything the org keeps (a Contact in use or in the Recycle Bin, the
   * external id index, a Bulk job's uploaded data or results) contains this text anywhere.
   */
  holds(text: string): boolean;
  /** record id → how many rows upserted it */
  writesPerRecord(): ReadonlyMap<string, number>;
  /** API requests that reached the instance, refused ones included. */
  requestCount(): number;
  /** Requests to the token endpoint. */
  loginCount(): number;
  jobs(): BulkJobSummary[];
  apiUsage(): { used: number; allocation: number };
  setDailyAllocation(requests: number): void;
  resetAllocation(): void;
  /** Ends every session, as a session timeout or a revoked token would. */
  expireSessions(): void;
  /** Running Bulk jobs stay InProgress until `resumeBulkJobs`, so a test can make two of them overlap. */
  holdBulkJobs(): void;
  resumeBulkJobs(): void;
  /** Puts a Contact in place directly, as a user would, bypassing the API; answers its Id. */
  insertRecord(fields: Record<string, string>): string;
  close(): Promise<void>;
}

const API_VERSIONS = { oldest: 20, newest: 64, collectionsUpsert: 46, bulkIngest: 41 };
const DEFAULT_DAILY_API_REQUESTS = 5_000_000;

/**
 * A Salesforce org as strict as the real one for what the sync uses: OAuth server-to-server login on a login
 * server and the REST API on a separate instance, sessions checked on every call, a daily API allocation with
 * its header, Contact describe, Tooling API custom fields, sObject Collections upsert, Contact look-up by external
 * id and delete into the Recycle Bin, and Bulk API 2.0 upsert and hardDelete jobs, listed and deleted with their data.
 */
export async function startSalesforceEmulator(options: SalesforceEmulatorOptions = {}): Promise<SalesforceEmulator> {
  const keys = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const contacts = createContactObject({ rejectRecord: options.rejectRecord });
  const jobs = createBulkJobs(contacts, {
    processingMs: options.bulkProcessingMs ?? 300,
    leaveUnprocessed: options.leaveUnprocessed,
    hardDeleteAllowed: options.bulkApiHardDelete ?? false,
  });
  const sessions = new Map<string, number>();
  let allocation = options.dailyApiRequests ?? DEFAULT_DAILY_API_REQUESTS;
  let used = 0;
  let requestCount = 0;
  let loginCount = 0;

  const instanceServer = createServer((req, res) => {
    requestCount++;
    text(req).then(
      (rawBody) => sendApi(res, answerApi(req, rawBody)),
      () => res.destroy(),
    );
  });
  const instance = await listenOnLoopback(instanceServer);

  const loginServer = createServer((req, res) => {
    text(req).then(
      (rawBody) => {
        const path = new URL(req.url ?? '/', 'http://login').pathname;
        if (req.method !== 'POST' || path !== '/services/oauth2/token') return sendApi(res, errorAnswer(404, 'NOT_FOUND', 'The requested resource does not exist'));
        loginCount++;
        const { answer, accessToken } = logIn(app, req.headers['content-type'], rawBody);
        if (accessToken !== undefined) sessions.set(accessToken, Date.now());
        res.writeHead(answer.status, { 'content-type': 'application/json;charset=UTF-8', 'cache-control': 'no-cache,must-revalidate,max-age=0,no-store,private' });
        res.end(JSON.stringify(answer.body));
      },
      () => res.destroy(),
    );
  });
  const login = await listenOnLoopback(loginServer);

  const app: ConnectedApp = {
    loginUrl: login.url,
    instanceUrl: instance.url,
    clientId: `3MVG9Em${randomBytes(12).toString('hex')}`,
    clientSecret: randomBytes(24).toString('hex').toUpperCase(),
    consumerKey: `3MVG9Em${randomBytes(12).toString('hex')}`,
    username: 'integration@channelshift.example',
    publicKey: createPublicKey(keys.publicKey),
  };

  function sessionValid(authorization: string | undefined): boolean {
    const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
    const issuedAt = token === undefined ? undefined : sessions.get(token);
    if (issuedAt === undefined) return false;
    if (options.sessionLifetimeMs !== undefined && Date.now() - issuedAt > options.sessionLifetimeMs) {
      sessions.delete(token!);
      return false;
    }
    return true;
  }

  function answerApi(req: IncomingMessage, rawBody: string): Answer {
    if (!sessionValid(req.headers.authorization)) return errorAnswer(401, 'INVALID_SESSION_ID', 'Session expired or invalid');
    if (used >= allocation) return errorAnswer(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.');
    used++;
    const url = new URL(req.url ?? '/', 'http://instance');
    const match = /^\/services\/data\/v(\d+\.\d)(\/.*?)\/?$/.exec(url.pathname);
    const version = Number(match?.[1]);
    if (match === null || version < API_VERSIONS.oldest || version > API_VERSIONS.newest) return notFound();
    return route(req, match[2]!, match[1]!, rawBody, url);
  }

  function route(req: IncomingMessage, path: string, apiVersion: string, rawBody: string, url: URL): Answer {
    const version = Number(apiVersion);
    const json = (handle: (body: unknown) => Answer): Answer => {
      const contentType = req.headers['content-type'] ?? '';
      if (!contentType.startsWith('application/json')) {
        return errorAnswer(415, 'UNSUPPORTED_MEDIA_TYPE', `MediaType of '${contentType}' is not supported by this resource`);
      }
      try {
        return handle(JSON.parse(rawBody));
      } catch {
        return errorAnswer(400, 'JSON_PARSER_ERROR', 'The request body is not valid JSON');
      }
    };
    const { method } = req;
    if (method === 'GET' && path === '/sobjects/Contact/describe') return contacts.describe();
    const byExternalId = /^\/sobjects\/Contact\/([^/]+)\/([^/]+)$/.exec(path);
    if (method === 'GET' && byExternalId !== null) {
      return contacts.getByExternalId(decodeURIComponent(byExternalId[1]!), decodeURIComponent(byExternalId[2]!), apiVersion);
    }
    const recordId = /^\/sobjects\/Contact\/([^/]+)$/.exec(path)?.[1];
    if (method === 'DELETE' && recordId !== undefined) return contacts.softDelete(decodeURIComponent(recordId));
    if (method === 'POST' && path === '/tooling/sobjects/CustomField') return json((body) => contacts.createCustomField(body));
    const collection = /^\/composite\/sobjects\/([^/]+)\/([^/]+)$/.exec(path);
    if (method === 'PATCH' && collection !== null && version >= API_VERSIONS.collectionsUpsert) {
      return json((body) => collectionsUpsert(contacts, jobs, collection[1]!, decodeURIComponent(collection[2]!), body));
    }
    if (!path.startsWith('/jobs/ingest') || version < API_VERSIONS.bulkIngest) return notFound();
    if (method === 'POST' && path === '/jobs/ingest') return json((body) => jobs.create(body, version));
    if (method === 'GET' && path === '/jobs/ingest') return jobs.listAll(url.searchParams.get('jobType'));
    const [, jobId, part] = /^\/jobs\/ingest\/(\w+)(?:\/(\w+))?$/.exec(path) ?? [];
    if (jobId === undefined) return notFound();
    if (part === undefined && method === 'GET') return jobs.info(jobId);
    if (part === undefined && method === 'PATCH') return json((body) => jobs.changeState(jobId, body));
    if (part === undefined && method === 'DELETE') return jobs.remove(jobId);
    if (part === 'batches' && method === 'PUT') return jobs.upload(jobId, req.headers['content-type'], rawBody);
    if (method === 'GET' && (part === 'successfulResults' || part === 'failedResults' || part === 'unprocessedrecords')) return jobs.results(jobId, part);
    return notFound();
  }

  function sendApi(res: ServerResponse, answer: Answer): void {
    const headers: Record<string, string> = { 'sforce-limit-info': `api-usage=${used}/${allocation}` };
    if (answer.csv !== undefined) headers['content-type'] = 'text/csv';
    else if (answer.body !== undefined) headers['content-type'] = 'application/json;charset=UTF-8';
    res.writeHead(answer.status, headers);
    res.end(answer.csv ?? (answer.body === undefined ? undefined : JSON.stringify(answer.body)));
  }

  return {
    loginUrl: login.url,
    instanceUrl: instance.url,
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    consumerKey: app.consumerKey,
    username: app.username,
    privateKey: keys.privateKey,
    records: contacts.records,
    recycleBin: contacts.recycleBin,
    holds: (text) => contacts.holds(text) || jobs.holds(text),
    writesPerRecord: contacts.writesPerRecord,
    requestCount: () => requestCount,
    loginCount: () => loginCount,
    jobs: jobs.list,
    apiUsage: () => ({ used, allocation }),
    setDailyAllocation(requests) {
      allocation = requests;
    },
    resetAllocation() {
      used = 0;
    },
    expireSessions: () => sessions.clear(),
    holdBulkJobs: jobs.hold,
    resumeBulkJobs: jobs.resume,
    insertRecord: contacts.insert,
    async close() {
      await Promise.all([instance.close(), login.close()]);
    },
  };
}

const notFound = (): Answer => errorAnswer(404, 'NOT_FOUND', 'The requested resource does not exist');
