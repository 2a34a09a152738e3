import { errorAnswer, isObject, salesforceId } from './emulator-answer.ts';
import type { Answer } from './emulator-answer.ts';

export interface FieldDefinition {
  name: string;
  label: string;
  type: 'id' | 'string' | 'phone' | 'email' | 'picklist' | 'datetime';
  length: number;
  custom: boolean;
  externalId: boolean;
  unique: boolean;
  nillable: boolean;
  createable: boolean;
  updateable: boolean;
  picklistValues: { value: string; label: string; active: boolean; defaultValue: boolean }[];
  restrictedPicklist: boolean;
}

export interface RowError {
  statusCode: string;
  message: string;
  fields: string[];
}

/** A row's values as sent: null clears a field; a field left out keeps what the record has. */
export type RowValues = Record<string, string | null>;

export interface ContactRecord {
  Id: string;
  fields: Record<string, string>;
}

/** A Contact as a test sees it: its Id and its fields. */
export type StoredContact = Record<string, string> & { Id: string };

export interface ContactObjectOptions {
  /** A validation rule's message for the record this row would make, as Salesforce would refuse it. */
  rejectRecord?: (fields: Record<string, string>) => string | undefined;
}

function standardField(name: string, label: string, type: FieldDefinition['type'], length: number, extra: Partial<FieldDefinition> = {}): FieldDefinition {
  return {
    name, label, type, length,
    custom: false, externalId: false, unique: false, nillable: true, createable: true, updateable: true,
    picklistValues: [], restrictedPicklist: false,
    ...extra,
  };
}

const STANDARD_FIELDS = [
  standardField('Id', 'Contact ID', 'id', 18, { nillable: false, createable: false, updateable: false }),
  standardField('FirstName', 'First Name', 'string', 40),
  standardField('LastName', 'Last Name', 'string', 80, { nillable: false }),
  standardField('Name', 'Full Name', 'string', 121, { createable: false, updateable: false, nillable: false }),
  standardField('Phone', 'Business Phone', 'phone', 40),
  standardField('Email', 'Email', 'email', 80),
  standardField('MailingCountry', 'Mailing Country', 'string', 80),
];

const CUSTOM_FIELD_NAME = /^Contact\.([A-Za-z](?:[A-Za-z0-9]|_(?!_))*[A-Za-z0-9])__c$/;
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:?\d{2})$/;
const MAX_LABEL_LENGTH = 40;
const RECORD_ID = /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/;

const integrity = (message: string, fields: string[] = []): Answer => errorAnswer(400, 'FIELD_INTEGRITY_EXCEPTION', message, fields);

/** The org's Contact object: its fields (standard and custom), its records, and the rules a row must pass. */
export function createContactObject(options: ContactObjectOptions) {
  const fields = new Map(STANDARD_FIELDS.map((field) => [field.name, field]));
  const records = new Map<string, ContactRecord>();
  // Deleted records, restorable for 15 days in Salesforce; only a hard delete or emptying the bin removes them.
  const recycleBin = new Map<string, ContactRecord>();
  const writes = new Map<string, number>();
  // Record ids by an external id or unique field's value, as Salesforce's index finds them.
  const index = new Map<string, Set<string>>();
  const indexKey = (name: string, value: string) => `${name}\u0000${value}`;
  let nextRecord = 1;
  let nextField = 1;

  function describe(): Answer {
    return {
      status: 200,
      body: {
        name: 'Contact',
        label: 'Contact',
        custom: false,
        createable: true,
        updateable: true,
        fields: [...fields.values()].map((field) => ({ ...field, idLookup: field.type === 'id' || field.externalId })),
      },
    };
  }

  /** The Tooling API's CustomField create, for the types the sync uses. */
  function createCustomField(body: unknown): Answer {
    if (!isObject(body) || typeof body.FullName !== 'string' || !isObject(body.Metadata)) {
      return errorAnswer(400, 'REQUIRED_FIELD_MISSING', 'Required fields are missing: [FullName, Metadata]', ['FullName', 'Metadata']);
    }
    const name = CUSTOM_FIELD_NAME.exec(body.FullName)?.[1];
    if (name === undefined) {
      return integrity(
        'The Custom Field Name can only contain underscores and alphanumeric characters. It must be unique, begin with a letter, not include spaces, not end with an underscore, and not contain two consecutive underscores. It must be named Contact.<Name>__c here.',
        ['FullName'],
      );
    }
    const apiName = `${name}__c`;
    if (fields.has(apiName)) return errorAnswer(400, 'DUPLICATE_DEVELOPER_NAME', `There is already a field named ${name} on Contact.`, ['FullName']);
    const metadata = body.Metadata;
    const { label, type, length, externalId = false, unique = false, caseSensitive = false } = metadata;
    if (typeof label !== 'string' || label === '' || label.length > MAX_LABEL_LENGTH) {
      return integrity(`Field label must be 1 to ${MAX_LABEL_LENGTH} characters`, ['Metadata.label']);
    }
    if (typeof externalId !== 'boolean' || typeof unique !== 'boolean' || typeof caseSensitive !== 'boolean') {
      return integrity('externalId, unique and caseSensitive must be booleans', ['Metadata']);
    }
    const field = standardField(apiName, label, 'string', 0, { custom: true, externalId, unique });
    if (type === 'Text') {
      if (!Number.isInteger(length) || (length as number) < 1 || (length as number) > 255) {
        return integrity('Length: a Text field needs a length between 1 and 255', ['Metadata.length']);
      }
      field.length = length as number;
    } else if (externalId || unique) {
      return integrity(`Only Text, Number and Email fields can be External ID or Unique, not ${String(type)}`, ['Metadata.externalId']);
    } else if (type === 'DateTime') {
      field.type = 'datetime';
    } else if (type === 'Picklist') {
      const valueSet = metadata.valueSet;
      const values = isObject(valueSet) && isObject(valueSet.valueSetDefinition) ? valueSet.valueSetDefinition.value : undefined;
      if (!Array.isArray(values) || values.length === 0 || !values.every((v) => isObject(v) && typeof v.fullName === 'string')) {
        return integrity('Picklist: valueSet.valueSetDefinition.value must list the values', ['Metadata.valueSet']);
      }
      field.type = 'picklist';
      field.length = 255;
      field.restrictedPicklist = isObject(valueSet) && valueSet.restricted === true;
      field.picklistValues = (values as Record<string, unknown>[]).map((v) => ({
        value: v.fullName as string,
        label: typeof v.label === 'string' ? v.label : (v.fullName as string),
        active: true,
        defaultValue: v.default === true,
      }));
    } else {
      return integrity(`The emulator creates Text, Picklist and DateTime fields, not ${String(type)}`, ['Metadata.type']);
    }
    fields.set(apiName, field);
    return { status: 201, body: { id: salesforceId('00N', nextField++), success: true, errors: [], warnings: [], infos: [] } };
  }

  /** Record ids whose external id field holds this value. */
  function matching(externalIdField: string, value: string): string[] {
    return [...(index.get(indexKey(externalIdField, value)) ?? [])];
  }

  /** Why Salesforce would refuse this upsert row, or undefined when it can be written. Every field must exist. */
  function rowError(values: RowValues, externalIdField: string): RowError | undefined {
    const key = values[externalIdField];
    if (typeof key !== 'string' || key === '') {
      return { statusCode: 'MISSING_ARGUMENT', message: `${externalIdField} not specified`, fields: [externalIdField] };
    }
    const matches = matching(externalIdField, key);
    if (matches.length > 1) {
      return { statusCode: 'DUPLICATE_EXTERNAL_ID', message: `Contact: more than 1 record found for external id field: [${matches.join(', ')}]`, fields: [externalIdField] };
    }
    const existing = matches[0] === undefined ? undefined : records.get(matches[0]);
    for (const [name, value] of Object.entries(values)) {
      const field = fields.get(name)!;
      if (existing === undefined ? !field.createable : !field.updateable) {
        return {
          statusCode: 'INVALID_FIELD_FOR_INSERT_UPDATE',
          message: `Unable to create/update fields: ${name}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
          fields: [name],
        };
      }
      if (value === null) continue;
      const problem = valueError(field, value);
      if (problem !== undefined) return problem;
      if (field.unique && name !== externalIdField) {
        const holder = matching(name, value).find((id) => id !== existing?.Id);
        if (holder !== undefined) {
          return { statusCode: 'DUPLICATE_VALUE', message: `duplicate value found: ${name} duplicates value on record with id: ${holder}`, fields: [name] };
        }
      }
    }
    const lastName = 'LastName' in values ? values.LastName : existing?.fields.LastName;
    if (lastName === undefined || lastName === null || lastName === '') {
      return { statusCode: 'REQUIRED_FIELD_MISSING', message: 'Required fields are missing: [LastName]', fields: ['LastName'] };
    }
    const reason = options.rejectRecord?.(merged(existing, values));
    if (reason !== undefined) return { statusCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION', message: reason, fields: [] };
    return undefined;
  }

  /** Writes a row `rowError` passed. */
  function upsert(values: RowValues, externalIdField: string): { id: string; created: boolean } {
    const existingId = matching(externalIdField, values[externalIdField]!)[0];
    const record = (existingId === undefined ? undefined : records.get(existingId)) ?? { Id: salesforceId('003', nextRecord++), fields: {} };
    for (const [name, value] of Object.entries(values)) {
      const field = fields.get(name)!;
      const previous = record.fields[name];
      if (field.externalId || field.unique) {
        if (previous !== undefined) index.get(indexKey(name, previous))?.delete(record.Id);
        if (value !== null) {
          const ids = index.get(indexKey(name, value)) ?? new Set<string>();
          index.set(indexKey(name, value), ids.add(record.Id));
        }
      }
      if (value === null) delete record.fields[name];
      else record.fields[name] = value;
    }
    records.set(record.Id, record);
    writes.set(record.Id, (writes.get(record.Id) ?? 0) + 1);
    return { id: record.Id, created: existingId === undefined };
  }

  /** Takes a record out of the external id and unique field index, so no look-up or upsert finds it. */
  function unindex(record: ContactRecord): void {
    for (const [name, value] of Object.entries(record.fields)) {
      const field = fields.get(name);
      if (!field?.externalId && !field?.unique) continue;
      const ids = index.get(indexKey(name, value));
      ids?.delete(record.Id);
      if (ids?.size === 0) index.delete(indexKey(name, value));
    }
  }

  /** `GET /sobjects/Contact/{field}/{value}`: one record (200), the URLs of several (300), or 404. */
  function getByExternalId(externalIdField: string, value: string, apiVersion: string): Answer {
    if (fields.get(externalIdField)?.externalId !== true) {
      return errorAnswer(404, 'NOT_FOUND', `Provided external ID field does not exist or is not accessible: ${externalIdField}`);
    }
    const ids = matching(externalIdField, value);
    const url = (id: string) => `/services/data/v${apiVersion}/sobjects/Contact/${id}`;
    if (ids.length === 0) return errorAnswer(404, 'NOT_FOUND', 'The requested resource does not exist');
    if (ids.length > 1) return { status: 300, body: ids.map(url) };
    const record = records.get(ids[0]!)!;
    const values = Object.fromEntries([...fields.keys()].filter((name) => name !== 'Id').map((name) => [name, record.fields[name] ?? null]));
    return { status: 200, body: { attributes: { type: 'Contact', url: url(record.Id) }, Id: record.Id, IsDeleted: false, ...values } };
  }

  /** `DELETE /sobjects/Contact/{id}`: into the Recycle Bin, 204 with no body. */
  function softDelete(id: string): Answer {
    if (!RECORD_ID.test(id)) return errorAnswer(400, 'MALFORMED_ID', `Contact ID: id value of incorrect type: ${id}`);
    if (recycleBin.has(id)) return errorAnswer(404, 'ENTITY_IS_DELETED', 'entity is deleted');
    const record = records.get(id);
    if (record === undefined) return errorAnswer(404, 'NOT_FOUND', 'The requested resource does not exist');
    unindex(record);
    records.delete(id);
    recycleBin.set(id, record);
    return { status: 204 };
  }

  /** A Bulk hardDelete row: gone for good, past the Recycle Bin; a record already in the bin cannot be. */
  function hardDelete(id: string): RowError | undefined {
    if (!RECORD_ID.test(id)) return { statusCode: 'MALFORMED_ID', message: `Contact ID: id value of incorrect type: ${id}`, fields: ['Id'] };
    const record = records.get(id);
    if (record === undefined) return { statusCode: 'ENTITY_IS_DELETED', message: 'entity is deleted', fields: [] };
    unindex(record);
    records.delete(id);
    writes.delete(id);
    return undefined;
  }

  return {
    field: (name: string) => fields.get(name),
    getByExternalId,
    softDelete,
    hardDelete,
    /** Whether a record, in use or in the Recycle Bin, or the index holds this text anywhere. */
    holds(text: string): boolean {
      const inRecord = (record: ContactRecord) => [record.Id, ...Object.values(record.fields)].some((value) => value.includes(text));
      return (
        [...records.values(), ...recycleBin.values()].some(inRecord) ||
        [...index].some(([key, ids]) => ids.size > 0 && key.includes(text))
      );
    },
    recycleBin: (): StoredContact[] => [...recycleBin.values()].map((record) => ({ Id: record.Id, ...record.fields })),
    describe,
    createCustomField,
    matching,
    rowError,
    upsert,
    /** Puts a record in place directly, as a user or another integration would, e.g. to share an external id. */
    insert(values: Record<string, string>): string {
      const id = salesforceId('003', nextRecord++);
      records.set(id, { Id: id, fields: {} });
      for (const [name, value] of Object.entries(values)) {
        records.get(id)!.fields[name] = value;
        const field = fields.get(name);
        if (field?.externalId || field?.unique) index.set(indexKey(name, value), (index.get(indexKey(name, value)) ?? new Set<string>()).add(id));
      }
      return id;
    },
    records: (): StoredContact[] => [...records.values()].map((record) => ({ Id: record.Id, ...record.fields })),
    writesPerRecord: () => new Map(writes),
  };
}

export type ContactObject = ReturnType<typeof createContactObject>;

function merged(existing: ContactRecord | undefined, values: RowValues): Record<string, string> {
  const fields = { ...existing?.fields };
  for (const [name, value] of Object.entries(values)) {
    if (value === null) delete fields[name];
    else fields[name] = value;
  }
  return fields;
}

function valueError(field: FieldDefinition, value: string): RowError | undefined {
  const fields = [field.name];
  if (field.type === 'datetime') {
    if (ISO_DATETIME.test(value) && !Number.isNaN(Date.parse(value))) return undefined;
    return { statusCode: 'INVALID_TYPE_ON_FIELD_IN_RECORD', message: `${field.label}: value not of required type: ${value}`, fields };
  }
  if (field.type === 'picklist' && field.restrictedPicklist && !field.picklistValues.some((option) => option.value === value)) {
    return { statusCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', message: `${field.label}: bad value for restricted picklist field: ${value}`, fields };
  }
  if (value.length > field.length) {
    return { statusCode: 'STRING_TOO_LONG', message: `${field.label}: data value too large: ${value} (max length=${field.length})`, fields };
  }
  return undefined;
}
