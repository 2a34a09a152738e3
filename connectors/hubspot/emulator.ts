import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { text } from 'node:stream/consumers';
import { listenOnLoopback } from '../loopback-server.ts';
import { PRO_BURST_LIMIT } from './burst-limit.ts';

export interface HubSpotRecord {
  id: string;
  properties: Record<string, string>;
}

export interface HubSpotEmulatorOptions {
  port?: number;
  token?: string;
  burstLimit?: { requests: number; intervalMs: number };
  /** A reason to fail this input of a batch upsert, as HubSpot would for a value it refuses. */
  rejectInput?: (properties: Record<string, string>) => string | undefined;
}

export interface HubSpotEmulator {
  url: string;
  token: string;
  records(): HubSpotRecord[];
  /** record id → how many upsert inputs wrote it */
  writesPerRecord(): ReadonlyMap<string, number>;
  requestCount(): number;
  rateLimitedCount(): number;
  close(): Promise<void>;
}

const BATCH_LIMIT = 100;
const UNIQUE_PROPERTIES_LIMIT = 10;
const PROPERTY_TYPES = new Set(['string', 'number', 'date', 'datetime', 'enumeration', 'bool']);
const FIELD_TYPES = new Set(['text', 'textarea', 'select', 'radio', 'checkbox', 'booleancheckbox', 'number', 'date', 'phonenumber']);
const PROPERTY_GROUPS = new Set(['contactinformation']);

interface PropertyDefinition {
  name: string;
  label: string;
  type: string;
  fieldType: string;
  groupName: string;
  hasUniqueValue: boolean;
  options: { label: string; value: string }[];
}

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

interface Answer {
  status: number;
  body: unknown;
}

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

function failure(status: number, category: string, message: string, extra: Record<string, unknown> = {}): Answer {
  return { status, body: { status: 'error', message, correlationId: randomUUID(), category, ...extra } };
}

const validationError = (message: string): Answer => failure(400, 'VALIDATION_ERROR', message);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return isObject(value) && Object.values(value).every((v) => typeof v === 'string');
}

/**
 * HubSpot CRM v3 as strict as the real one for what the sync uses: Bearer auth, a rolling burst limit
 * with its headers and 429 body, the contact properties API, and batch upsert by a unique property with
 * 207 partial failures.
 */
export async function startHubSpotEmulator(options: HubSpotEmulatorOptions = {}): Promise<HubSpotEmulator> {
  const token = options.token ?? 'hubspot-emulator-token';
  const burst = options.burstLimit ?? PRO_BURST_LIMIT;
  const properties = new Map(STANDARD_PROPERTIES.map((p) => [p.name, p]));
  const records = new Map<string, StoredRecord>();
  const writes = new Map<string, number>();
  // Records by each unique property's value, as HubSpot finds them: a scan per input would make large syncs crawl.
  const byUniqueValue = new Map<string, StoredRecord>();
  const uniqueKey = (name: string, value: string) => `${name}\u0000${value}`;
  const arrivals: number[] = [];
  let nextRecordId = 1001;
  let requestCount = 0;
  let rateLimitedCount = 0;

  /** Counts this request in the rolling window and says how many the window still allows. */
  function countArrival(): number {
    const now = performance.now();
    while (arrivals.length > 0 && arrivals[0]! <= now - burst.intervalMs) arrivals.shift();
    arrivals.push(now);
    return burst.requests - arrivals.length;
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
    if (typeof type !== 'string' || !PROPERTY_TYPES.has(type)) return validationError(`type ${String(type)} is not valid`);
    if (typeof fieldType !== 'string' || !FIELD_TYPES.has(fieldType)) return validationError(`fieldType ${String(fieldType)} is not valid`);
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
    const property: PropertyDefinition = { name, label, type, fieldType, groupName, hasUniqueValue, options: choices as PropertyDefinition['options'] };
    properties.set(name, property);
    return { status: 201, body: property };
  }

  /** Why HubSpot would refuse this one input, or undefined when it can be written. */
  function inputProblem(input: UpsertInput): string | undefined {
    for (const [name, value] of Object.entries(input.properties)) {
      const property = properties.get(name);
      if (property === undefined) return `Property "${name}" does not exist`;
      if (property.type === 'enumeration' && !property.options.some((o) => o.value === value)) {
        return `${JSON.stringify(value)} was not one of the allowed options for ${name}`;
      }
      if (property.hasUniqueValue && name !== input.idProperty) {
        const holder = byUniqueValue.get(uniqueKey(name, value));
        if (holder !== undefined && holder.properties[input.idProperty] !== input.id) {
          return `A contact with the ${name} "${value}" already exists (id ${holder.id})`;
        }
      }
    }
    return options.rejectInput?.(input.properties);
  }

  function write(input: UpsertInput): { record: StoredRecord; created: boolean } {
    const now = new Date().toISOString();
    const existing = byUniqueValue.get(uniqueKey(input.idProperty, input.id));
    const record = existing ?? { id: String(nextRecordId++), properties: {}, createdAt: now, updatedAt: now };
    const changes: Record<string, string> = { ...input.properties, [input.idProperty]: input.id };
    for (const [name, value] of Object.entries(changes)) {
      if (!properties.get(name)?.hasUniqueValue) continue;
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
      const problem = inputProblem(input);
      if (problem !== undefined) {
        const context = input.objectWriteTraceId === undefined ? {} : { objectWriteTraceId: [input.objectWriteTraceId] };
        errors.push({ status: 'error', category: 'VALIDATION_ERROR', message: problem, context });
        continue;
      }
      const { record, created } = write(input);
      const { id, createdAt, updatedAt } = record;
      results.push({ id, properties: { ...record.properties }, new: created, createdAt, updatedAt, archived: false });
    }
    if (errors.length === 0) return { status: 200, body: { status: 'COMPLETE', results } };
    return { status: 207, body: { status: 'COMPLETE', results, numErrors: errors.length, errors } };
  }

  function route(req: IncomingMessage, rawBody: string): Answer {
    if (req.headers.authorization !== `Bearer ${token}`) {
      return failure(401, 'INVALID_AUTHENTICATION', 'Authentication credentials not found. This API supports OAuth 2.0 authentication and private app access tokens.');
    }
    const path = new URL(req.url ?? '/', 'http://emulator').pathname;
    const propertyName = /^\/crm\/v3\/properties\/contacts\/([^/]+)$/.exec(path)?.[1];
    if (req.method === 'GET' && propertyName !== undefined) return getProperty(decodeURIComponent(propertyName));
    const handler =
      req.method === 'POST' && path === '/crm/v3/properties/contacts' ? createProperty
      : req.method === 'POST' && path === '/crm/v3/objects/contacts/batch/upsert' ? batchUpsert
      : undefined;
    if (handler === undefined) return failure(404, 'OBJECT_NOT_FOUND', `No endpoint for ${req.method} ${path}`);
    let body: unknown;
    try {
      body = JSON.parse(rawBody);
    } catch {
      return validationError('Invalid input JSON on line 1');
    }
    return handler(body);
  }

  function send(res: ServerResponse, remaining: number, answer: Answer): void {
    res.writeHead(answer.status, {
      'content-type': 'application/json;charset=utf-8',
      'x-hubspot-ratelimit-max': String(burst.requests),
      'x-hubspot-ratelimit-remaining': String(Math.max(0, remaining)),
      'x-hubspot-ratelimit-interval-milliseconds': String(burst.intervalMs),
    });
    res.end(JSON.stringify(answer.body));
  }

  const server = createServer((req, res) => {
    requestCount++;
    // Every request counts against the burst window, refused ones included, as on HubSpot.
    const remaining = countArrival();
    text(req).then(
      (rawBody) => {
        if (remaining >= 0) return send(res, remaining, route(req, rawBody));
        rateLimitedCount++;
        send(res, remaining, {
          status: 429,
          body: {
            status: 'error',
            message: 'You have reached your ten_secondly_rolling limit.',
            errorType: 'RATE_LIMIT',
            correlationId: randomUUID(),
            policyName: 'TEN_SECONDLY_ROLLING',
          },
        });
      },
      () => res.destroy(),
    );
  });
  const { url, close } = await listenOnLoopback(server, options.port);

  return {
    url,
    token,
    records: () => [...records.values()].map(({ id, properties: values }) => ({ id, properties: { ...values } })),
    writesPerRecord: () => new Map(writes),
    requestCount: () => requestCount,
    rateLimitedCount: () => rateLimitedCount,
    close,
  };
}
