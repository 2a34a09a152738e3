import { errorAnswer, isObject } from './emulator-answer.ts';
import type { Answer } from './emulator-answer.ts';
import type { BulkJobs } from './emulator-bulk-jobs.ts';
import type { ContactObject, RowError, RowValues } from './emulator-contacts.ts';

const COLLECTION_LIMIT = 200;

/**
 * sObject Collections upsert by an external id field: at most 200 records, each with attributes.type, results in
 * the order sent. With allOrNone, one bad row rolls back the request and the others report the rollback.
 */
export function collectionsUpsert(contacts: ContactObject, jobs: BulkJobs, sobject: string, externalIdField: string, body: unknown): Answer {
  if (sobject !== 'Contact') return errorAnswer(400, 'INVALID_TYPE', `sObject type '${sobject}' is not supported.`);
  if (contacts.field(externalIdField)?.externalId !== true) {
    return errorAnswer(404, 'NOT_FOUND', `Provided external ID field does not exist or is not accessible: ${externalIdField}`);
  }
  if (!isObject(body) || !Array.isArray(body.records)) return errorAnswer(400, 'JSON_PARSER_ERROR', 'records: a list of records is required');
  const allOrNone = body.allOrNone ?? false;
  if (typeof allOrNone !== 'boolean') return errorAnswer(400, 'JSON_PARSER_ERROR', 'allOrNone must be a boolean');
  if (body.records.length > COLLECTION_LIMIT) {
    return errorAnswer(400, 'EXCEEDED_ID_LIMIT', `record limit reached. cannot submit more than ${COLLECTION_LIMIT} records into this call`);
  }
  const rows: RowValues[] = [];
  for (const record of body.records as unknown[]) {
    if (!isObject(record) || !isObject(record.attributes) || typeof record.attributes.type !== 'string') {
      return errorAnswer(400, 'INVALID_TYPE', 'Must send a concrete entity type.');
    }
    if (record.attributes.type !== sobject) {
      return errorAnswer(400, 'INVALID_TYPE', `A record of type ${record.attributes.type} cannot be upserted as ${sobject}`);
    }
    const values: RowValues = {};
    for (const [name, value] of Object.entries(record)) {
      if (name === 'attributes') continue;
      if (contacts.field(name) === undefined) return errorAnswer(400, 'INVALID_FIELD', `No such column '${name}' on sobject of type ${sobject}`);
      if (typeof value !== 'string' && value !== null) {
        return errorAnswer(400, 'JSON_PARSER_ERROR', `Cannot deserialize instance of string from ${typeof value} value for ${name}`);
      }
      values[name] = value;
    }
    rows.push(values);
  }

  const keys = rows.map((values) => values[externalIdField]);
  const upfront = keys.map((key): RowError | undefined => {
    if (typeof key === 'string' && keys.indexOf(key) !== keys.lastIndexOf(key)) {
      return { statusCode: 'DUPLICATE_EXTERNAL_ID', message: `Duplicate external id specified: ${key}`, fields: [externalIdField] };
    }
    if (typeof key === 'string' && jobs.isLocked(externalIdField, key)) {
      return { statusCode: 'UNABLE_TO_LOCK_ROW', message: 'unable to obtain exclusive access to this record', fields: [] };
    }
    return undefined;
  });
  const failure = (error: RowError) => ({ success: false, errors: [error] });

  if (allOrNone) {
    const errors = rows.map((values, index) => upfront[index] ?? contacts.rowError(values, externalIdField));
    if (errors.some((error) => error !== undefined)) {
      const rolledBack: RowError = {
        statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
        message: 'Record rolled back because not all records were valid and the request was using AllOrNone header',
        fields: [],
      };
      return { status: 200, body: errors.map((error) => failure(error ?? rolledBack)) };
    }
  }
  const results = rows.map((values, index) => {
    const error = upfront[index] ?? contacts.rowError(values, externalIdField);
    if (error !== undefined) return failure(error);
    const { id, created } = contacts.upsert(values, externalIdField);
    return { id, success: true, created, errors: [] };
  });
  return { status: 200, body: results };
}
