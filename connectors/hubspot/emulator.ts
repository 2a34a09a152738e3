import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { text } from 'node:stream/consumers';
import { listenOnLoopback } from '../loopback-server.ts';
import { PRO_BURST_LIMIT } from './burst-limit.ts';
import type { BurstLimit } from './burst-limit.ts';
import { failure, isObject, validationError } from './emulator-answer.ts';
import type { Answer } from './emulator-answer.ts';
import { createOAuthAuthority, DEFAULT_ACCESS_TOKEN_LIFETIME_MS } from './emulator-oauth.ts';
import type { OAuthClientCredentials } from './emulator-oauth.ts';
import { FIELD_TYPES_BY_TYPE, storedValue, valueProblem } from './emulator-property-values.ts';
import type { PropertyDefinition } from './emulator-property-values.ts';

export type { OAuthClientCredentials } from './emulator-oauth.ts';

export interface HubSpotRecord {
  id: string;
  properties: Record<string, string>;
}

/** A reason to fail this input of a batch upsert, as HubSpot would for a value it refuses. */
export type InputRejection = (properties: Record<string, string>) => string | undefined;

export interface HubSpotEmulatorOptions {
  port?: number;
  /** The private app's access token. */
  token?: string;
  burstLimit?: BurstLimit;
  rejectInput?: InputRejection;
  /** How long an OAuth access token lives; HubSpot's are good for 30 minutes. */
  accessTokenLifetimeMs?: number;
  /** Issue a new refresh token with every access token, the previous one then refused. */
  rotateRefreshTokens?: boolean;
  /** Private app requests allowed before the daily limit answers 429 (HubSpot: 250k to 1M by plan). */
  dailyLimit?: number;
  /** Epoch milliseconds, for OAuth token expiry; tests move it rather than wait. */
  now?: () => number;
  /** Every nth batch upsert answers 502 and writes nothing, as HubSpot's gateway now and then does. */
  upsertFailureEvery?: number;
}

export interface HubSpotEmulator {
  url: string;
  /** The private app's access token. */
  token: string;
  /** The public app's credentials, for `POST /oauth/v1/token`. */
  oauthClient: OAuthClientCredentials;
  records(): HubSpotRecord[];
  /** record id → how many upsert inputs wrote it */
  writesPerRecord(): ReadonlyMap<string, number>;
  /** Requests to the CRM API; token requests are counted by `tokenRequests()`. */
  requestCount(): number;
  tokenRequests(): number;
  /** 429 answers, for the burst and the daily limit. */
  rateLimitedCount(): number;
  /** 401 answers: a missing, unknown or expired token. */
  unauthorizedCount(): number;
  /** 502 answers from `upsertFailureEvery`. */
  badGatewayCount(): number;
  /** A new day for the daily limit (the real one resets at midnight in the account's time zone). */
  resetDailyLimit(): void;
  setRejectInput(rejectInput: InputRejection | undefined): void;
  /**
   * Ground truth for erasure tests: whether anything the emulator keeps (a record's properties, the unique value
   * index, the email blocklist) contains this text anywhere.
   */
  holds(text: string): boolean;
  close(): Promise<void>;
}

const BATCH_LIMIT = 100;
const LIST_LIMIT = 100;
const DEFAULT_LIST_LIMIT = 10;
const DEFAULT_LIST_PROPERTIES = ['firstname', 'lastname', 'email'];
const UNIQUE_PROPERTIES_LIMIT = 10;
const DEFAULT_DAILY_LIMIT = 1_000_000;
const PROPERTY_GROUPS = new Set(['contactinformation']);

interface StoredRecord extends HubSpotRecord {
  createdAt: string;
  updatedAt: string;
}

interface UpsertInput {
  id: string;
  idProperty: string;
  properties: Record<string, string>;
  objectWriteTraceId?: string;
}

/** Who a request came from, as its Authorization header says. */
type Caller = { kind: 'private-app' } | { kind: 'oauth' } | { kind: 'refused'; answer: Answer };

function standardProperty(name: string, label: string, hasUniqueValue = false): PropertyDefinition {
  return { name, label, type: 'string', fieldType: 'text', groupName: 'contactinformation', hasUniqueValue, options: [] };
}

const STANDARD_PROPERTIES = [
  standardProperty('email', 'Email', true),
  standardProperty('phone', 'Phone Number'),
  standardProperty('firstname', 'First Name'),
  standardProperty('lastname', 'Last Name'),
  standardProperty('country', 'Country/Region'),
];

function isStringRecord(value: unknown): value is Record<string, string> {
  return isObject(value) && Object.values(value).every((v) => typeof v === 'string');
}

function rateLimited(policyName: 'TEN_SECONDLY_ROLLING' | 'DAILY', message: string): Answer {
  return { status: 429, body: { status: 'error', message, errorType: 'RATE_LIMIT', correlationId: randomUUID(), policyName } };
}

/**
 * HubSpot CRM v3 as strict as the real one for what the sync uses: a private app token or expiring OAuth
 * access tokens from `/oauth/v1/token`, a rolling burst limit and a daily limit with their headers and 429
 * bodies, the contact properties API with typed values, batch upsert by a unique property with 207 partial
 * failures, the paged contact list, and the GDPR delete that erases a contact for good.
 */
export async function startHubSpotEmulator(options: HubSpotEmulatorOptions = {}): Promise<HubSpotEmulator> {
  const token = options.token ?? 'hubspot-emulator-token';
  const burst = options.burstLimit ?? PRO_BURST_LIMIT;
  const dailyLimit = options.dailyLimit ?? DEFAULT_DAILY_LIMIT;
  const clock = options.now ?? Date.now;
  const oauth = createOAuthAuthority({
    lifetimeMs: options.accessTokenLifetimeMs ?? DEFAULT_ACCESS_TOKEN_LIFETIME_MS,
    rotateRefreshTokens: options.rotateRefreshTokens ?? false,
    now: clock,
  });
  let rejectInput = options.rejectInput;
  const properties = new Map(STANDARD_PROPERTIES.map((p) => [p.name, p]));
  const records = new Map<string, StoredRecord>();
  const writes = new Map<string, number>();
  // Records by each unique property's value, as HubSpot finds them: a scan per input would make large syncs crawl.
  const byUniqueValue = new Map<string, StoredRecord>();
  const uniqueKey = (name: string, value: string) => `${name}\u0000${value}`;
  // Emails a GDPR delete found no contact for: HubSpot blocks them from being used again.
  const blockedEmails = new Set<string>();
  const arrivals: number[] = [];
  let nextRecordId = 1001;
  let requestCount = 0;
  let rateLimitedCount = 0;
  let unauthorizedCount = 0;
  let upsertCount = 0;
  let badGatewayCount = 0;
  let dailyUsed = 0;

  /** Counts this request in the rolling window and says how many the window still allows. */
  function countArrival(): number {
    const now = performance.now();
    while (arrivals.length > 0 && arrivals[0]! <= now - burst.intervalMs) arrivals.shift();
    arrivals.push(now);
    return burst.requests - arrivals.length;
  }

  function authenticate(authorization: string | undefined): Caller {
    const bearer = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
    if (bearer === token) return { kind: 'private-app' };
    const { state, expiredForMs } = oauth.check(bearer ?? '');
    if (state === 'valid') return { kind: 'oauth' };
    if (state === 'expired') {
      const minutes = Math.floor(expiredForMs / 60_000);
      const message = `The OAuth token used to make this call expired ${minutes} minute(s) ago.`;
      return { kind: 'refused', answer: failure(401, 'EXPIRED_AUTHENTICATION', message) };
    }
    const message = 'Authentication credentials not found. This API supports OAuth 2.0 authentication and private app access tokens.';
    return { kind: 'refused', answer: failure(401, 'INVALID_AUTHENTICATION', message) };
  }

  function getProperty(name: string): Answer {
    const property = properties.get(name);
    if (property === undefined) return failure(404, 'OBJECT_NOT_FOUND', `Property ${name} does not exist`);
    return { status: 200, body: property };
  }

  function createProperty(body: unknown): Answer {
    if (!isObject(body)) return validationError('Request body must be a JSON object');
    const { name, label, type, fieldType, groupName, hasUniqueValue = false, options: choices = [] } = body;
    if (typeof name !== 'string' || !/^[a-z][a-z0-9_]*$/.test(name)) return validationError('name must be lowercase letters, digits and underscores');
    if (typeof label !== 'string' || label === '') return validationError('label is required');
    const fieldTypes = typeof type === 'string' ? FIELD_TYPES_BY_TYPE.get(type) : undefined;
    if (fieldTypes === undefined) return validationError(`type ${String(type)} is not valid`);
    if (typeof fieldType !== 'string' || !fieldTypes.includes(fieldType)) {
      return validationError(`fieldType ${String(fieldType)} is not valid for type ${String(type)}; use one of ${fieldTypes.join(', ')}`);
    }
    if (typeof groupName !== 'string' || !PROPERTY_GROUPS.has(groupName)) return validationError(`property group ${String(groupName)} does not exist`);
    if (typeof hasUniqueValue !== 'boolean') return validationError('hasUniqueValue must be a boolean');
    const optionsValid = Array.isArray(choices) && choices.every((o) => isObject(o) && typeof o.label === 'string' && typeof o.value === 'string');
    if (!optionsValid) return validationError('options must be a list of {label, value}');
    if (type === 'enumeration' && choices.length === 0) return validationError('an enumeration property needs options');
    if (properties.has(name)) return failure(409, 'OBJECT_ALREADY_EXISTS', `Property named '${name}' already exists.`);
    const customUnique = [...properties.values()].filter((p) => p.hasUniqueValue && !STANDARD_PROPERTIES.includes(p)).length;
    if (hasUniqueValue && customUnique >= UNIQUE_PROPERTIES_LIMIT) {
      return validationError(`An object can have at most ${UNIQUE_PROPERTIES_LIMIT} unique value properties`);
    }
    const property: PropertyDefinition = { name, label, type: type as string, fieldType, groupName, hasUniqueValue, options: choices as PropertyDefinition['options'] };
    properties.set(name, property);
    return { status: 201, body: property };
  }

  /** Why HubSpot would refuse this one input, or undefined when it can be written. */
  function inputProblem(input: UpsertInput): string | undefined {
    for (const [name, value] of Object.entries(input.properties)) {
      const property = properties.get(name);
      if (property === undefined) return `Property "${name}" does not exist`;
      const problem = valueProblem(property, value);
      if (problem !== undefined) return problem;
      if (name === 'email' && blockedEmails.has(value.toLowerCase())) return `Email ${value} was permanently deleted and is blocked from use`;
      if (property.hasUniqueValue && name !== input.idProperty) {
        const holder = byUniqueValue.get(uniqueKey(name, value));
        if (holder !== undefined && holder.properties[input.idProperty] !== input.id) {
          return `A contact with the ${name} "${value}" already exists (id ${holder.id})`;
        }
      }
    }
    return rejectInput?.(input.properties);
  }

  function write(input: UpsertInput): { record: StoredRecord; created: boolean } {
    const now = new Date(clock()).toISOString();
    const existing = byUniqueValue.get(uniqueKey(input.idProperty, input.id));
    const record = existing ?? { id: String(nextRecordId++), properties: {}, createdAt: now, updatedAt: now };
    const given: Record<string, string> = { ...input.properties, [input.idProperty]: input.id };
    const changes = Object.fromEntries(Object.entries(given).map(([name, value]) => [name, storedValue(properties.get(name)!, value)]));
    for (const [name, value] of Object.entries(changes)) {
      if (!properties.get(name)!.hasUniqueValue) continue;
      const previous = record.properties[name];
      if (previous !== undefined) byUniqueValue.delete(uniqueKey(name, previous));
      byUniqueValue.set(uniqueKey(name, value), record);
    }
    Object.assign(record.properties, changes);
    record.updatedAt = now;
    records.set(record.id, record);
    writes.set(record.id, (writes.get(record.id) ?? 0) + 1);
    return { record, created: existing === undefined };
  }

  function batchUpsert(body: unknown): Answer {
    if (!isObject(body) || !Array.isArray(body.inputs) || body.inputs.length === 0) {
      return validationError('inputs must be a non-empty list');
    }
    if (body.inputs.length > BATCH_LIMIT) return validationError(`Batch size ${body.inputs.length} exceeds the limit of ${BATCH_LIMIT}`);
    const inputs: UpsertInput[] = [];
    for (const input of body.inputs as unknown[]) {
      if (!isObject(input) || typeof input.id !== 'string' || input.id === '') return validationError('every input needs an id');
      if (input.idProperty === undefined) return validationError('idProperty is required for upsert');
      if (typeof input.idProperty !== 'string' || !properties.has(input.idProperty)) {
        return validationError(`Property ${String(input.idProperty)} does not exist`);
      }
      if (!properties.get(input.idProperty)!.hasUniqueValue) {
        return validationError(`Property ${input.idProperty} is not a unique identifier; upsert needs a property with hasUniqueValue`);
      }
      if (!isStringRecord(input.properties)) return validationError('properties must map names to string values');
      if (input.objectWriteTraceId !== undefined && typeof input.objectWriteTraceId !== 'string') {
        return validationError('objectWriteTraceId must be a string');
      }
      inputs.push(input as unknown as UpsertInput);
    }
    const ids = inputs.map((i) => i.id);
    const duplicates = [...new Set(ids.filter((id, index) => ids.indexOf(id) !== index))];
    if (duplicates.length > 0) return validationError(`Duplicate IDs found in batch input: [${duplicates.join(', ')}]. IDs must be unique`);

    const results: unknown[] = [];
    const errors: unknown[] = [];
    for (const input of inputs) {
      const trace = input.objectWriteTraceId === undefined ? {} : { objectWriteTraceId: input.objectWriteTraceId };
      const problem = inputProblem(input);
      if (problem !== undefined) {
        const context = input.objectWriteTraceId === undefined ? {} : { objectWriteTraceId: [input.objectWriteTraceId] };
        errors.push({ status: 'error', category: 'VALIDATION_ERROR', message: problem, context });
        continue;
      }
      const { record, created } = write(input);
      const { id, createdAt, updatedAt } = record;
      results.push({ id, properties: { ...record.properties }, new: created, createdAt, updatedAt, archived: false, ...trace });
    }
    if (errors.length === 0) return { status: 200, body: { status: 'COMPLETE', results } };
    return { status: 207, body: { status: 'COMPLETE', results, numErrors: errors.length, errors } };
  }

  /**
   * `POST /crm/v3/objects/contacts/gdpr-delete`: the contact by its id, or by a unique property's value, deleted
   * for good with everything it holds (no archive to restore from); 204 with no body. An email with no contact
   * is blocked from future use instead, as HubSpot does.
   */
  function gdprDelete(body: unknown): Answer {
    if (!isObject(body)) return validationError('Request body must be a JSON object');
    const { objectId, idProperty } = body;
    if (typeof objectId !== 'string' || objectId === '') return validationError('objectId is required');
    if (idProperty !== undefined && typeof idProperty !== 'string') return validationError('idProperty must be a string');
    let record: StoredRecord | undefined;
    if (idProperty === undefined || idProperty === 'hs_object_id') {
      record = records.get(objectId);
    } else {
      const property = properties.get(idProperty);
      if (property === undefined) return validationError(`Property ${idProperty} does not exist`);
      if (!property.hasUniqueValue) return validationError(`Property ${idProperty} is not a unique identifier; use a property with hasUniqueValue`);
      record = byUniqueValue.get(uniqueKey(idProperty, objectId));
      if (record === undefined && idProperty === 'email') {
        blockedEmails.add(objectId.toLowerCase());
        return { status: 204, body: undefined };
      }
    }
    if (record === undefined) return failure(404, 'OBJECT_NOT_FOUND', 'resource not found');
    for (const [name, value] of Object.entries(record.properties)) {
      if (properties.get(name)?.hasUniqueValue) byUniqueValue.delete(uniqueKey(name, value));
    }
    records.delete(record.id);
    writes.delete(record.id);
    return { status: 204, body: undefined };
  }

  /** `GET /crm/v3/objects/contacts`: pages in record id order, `after` naming where the next page starts. */
  function listContacts(url: URL): Answer {
    const limit = Number(url.searchParams.get('limit') ?? DEFAULT_LIST_LIMIT);
    if (!Number.isInteger(limit) || limit < 1 || limit > LIST_LIMIT) return validationError(`limit must be a whole number from 1 to ${LIST_LIMIT}`);
    const after = Number(url.searchParams.get('after') ?? 0);
    if (!Number.isInteger(after) || after < 0) return validationError('after must be a paging cursor from a previous page');
    const requested = url.searchParams.getAll('properties').flatMap((list) => list.split(',')).filter((name) => name !== '');
    const names = (requested.length > 0 ? requested : DEFAULT_LIST_PROPERTIES).filter((name) => properties.has(name));
    const following = [...records.values()].filter((record) => Number(record.id) > after);
    const page = following.slice(0, limit);
    const results = page.map((record) => ({
      id: record.id,
      properties: {
        ...Object.fromEntries(names.map((name) => [name, record.properties[name] ?? null])),
        createdate: record.createdAt,
        hs_object_id: record.id,
        lastmodifieddate: record.updatedAt,
      },
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
      archived: false,
    }));
    if (following.length <= limit) return { status: 200, body: { results } };
    const next = page.at(-1)!.id;
    const link = `${url.origin}/crm/v3/objects/contacts?limit=${limit}&after=${next}`;
    return { status: 200, body: { results, paging: { next: { after: next, link } } } };
  }

  function route(req: IncomingMessage, url: URL, rawBody: string): Answer {
    const path = url.pathname;
    const propertyName = /^\/crm\/v3\/properties\/contacts\/([^/]+)$/.exec(path)?.[1];
    if (req.method === 'GET' && propertyName !== undefined) return getProperty(decodeURIComponent(propertyName));
    if (req.method === 'GET' && path === '/crm/v3/objects/contacts') return listContacts(url);
    const handler =
      req.method === 'POST' && path === '/crm/v3/properties/contacts' ? createProperty
      : req.method === 'POST' && path === '/crm/v3/objects/contacts/batch/upsert' ? batchUpsert
      : req.method === 'POST' && path === '/crm/v3/objects/contacts/gdpr-delete' ? gdprDelete
      : undefined;
    if (handler === undefined) return failure(404, 'OBJECT_NOT_FOUND', `No endpoint for ${req.method} ${path}`);
    if (handler === batchUpsert && options.upsertFailureEvery !== undefined && ++upsertCount % options.upsertFailureEvery === 0) {
      badGatewayCount++;
      return { status: 502, body: { status: 'error', message: 'Bad Gateway' } };
    }
    let body: unknown;
    try {
      body = JSON.parse(rawBody);
    } catch {
      return validationError('Invalid input JSON on line 1');
    }
    return handler(body);
  }

  /** A CRM API request after the burst window counted it: limits, then auth, then the endpoint. */
  function answerApi(req: IncomingMessage, url: URL, rawBody: string, burstRemaining: number): { answer: Answer; headers: Record<string, string> } {
    const headers: Record<string, string> = {
      'x-hubspot-ratelimit-max': String(burst.requests),
      'x-hubspot-ratelimit-remaining': String(Math.max(0, burstRemaining)),
      'x-hubspot-ratelimit-interval-milliseconds': String(burst.intervalMs),
    };
    if (burstRemaining < 0) {
      rateLimitedCount++;
      return { answer: rateLimited('TEN_SECONDLY_ROLLING', 'You have reached your ten_secondly_rolling limit.'), headers };
    }
    const caller = authenticate(req.headers.authorization);
    if (caller.kind === 'refused') {
      unauthorizedCount++;
      return { answer: caller.answer, headers };
    }
    // Only private apps have a daily limit; HubSpot sends OAuth calls no daily headers, as there is none for them.
    if (caller.kind === 'private-app') {
      const spent = dailyUsed >= dailyLimit;
      if (!spent) dailyUsed++;
      headers['x-hubspot-ratelimit-daily'] = String(dailyLimit);
      headers['x-hubspot-ratelimit-daily-remaining'] = String(dailyLimit - dailyUsed);
      if (spent) {
        rateLimitedCount++;
        return { answer: rateLimited('DAILY', 'You have reached your daily limit.'), headers };
      }
    }
    return { answer: route(req, url, rawBody), headers };
  }

  function send(res: ServerResponse, answer: Answer, headers: Record<string, string> = {}): void {
    if (answer.status === 204) {
      res.writeHead(204, headers);
      res.end();
      return;
    }
    res.writeHead(answer.status, { 'content-type': 'application/json;charset=utf-8', ...headers });
    res.end(JSON.stringify(answer.body));
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'emulator'}`);
    // The OAuth endpoint is outside the CRM API's burst and daily limits.
    if (req.method === 'POST' && url.pathname === '/oauth/v1/token') {
      text(req).then((rawBody) => send(res, oauth.exchange(req.headers['content-type'], rawBody)), () => res.destroy());
      return;
    }
    requestCount++;
    // Every request counts against the burst window, refused ones included, as on HubSpot.
    const remaining = countArrival();
    text(req).then(
      (rawBody) => {
        const { answer, headers } = answerApi(req, url, rawBody, remaining);
        send(res, answer, headers);
      },
      () => res.destroy(),
    );
  });
  const { url, close } = await listenOnLoopback(server, options.port);

  return {
    url,
    token,
    oauthClient: oauth.client,
    records: () => [...records.values()].map(({ id, properties: values }) => ({ id, properties: { ...values } })),
    writesPerRecord: () => new Map(writes),
    requestCount: () => requestCount,
    tokenRequests: () => oauth.requestCount(),
    rateLimitedCount: () => rateLimitedCount,
    unauthorizedCount: () => unauthorizedCount,
    badGatewayCount: () => badGatewayCount,
    resetDailyLimit: () => {
      dailyUsed = 0;
    },
    setRejectInput: (next) => {
      rejectInput = next;
    },
    holds: (text) =>
      [...records.values()].some((record) => [record.id, ...Object.keys(record.properties), ...Object.values(record.properties)].some((value) => value.includes(text))) ||
      [...byUniqueValue.keys()].some((key) => key.includes(text)) ||
      [...blockedEmails].some((email) => email.includes(text)),
    close,
  };
}
