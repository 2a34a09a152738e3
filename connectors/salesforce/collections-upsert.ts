import type { SalesforceApi } from './rest-api.ts';
import { refusedRow, unreportedRow } from './row-outcome.ts';
import type { ContactRow, RowError, RowOutcome } from './row-outcome.ts';

/** sObject Collections take at most 200 records per request. */
export const COLLECTION_LIMIT = 200;

interface CollectionResult {
  id?: unknown;
  success?: unknown;
  created?: unknown;
  errors?: { statusCode?: unknown; message?: unknown }[];
}

/**
 * Upserts through sObject Collections, 200 rows per request, without allOrNone so one bad row does not hold
 * back the others. Results come in the order of the records sent; the outcomes keep the order of `rows`.
 */
export async function upsertByCollections(api: SalesforceApi, rows: readonly ContactRow[], externalIdField: string): Promise<RowOutcome[]> {
  const outcomes: RowOutcome[] = [];
  for (let start = 0; start < rows.length; start += COLLECTION_LIMIT) {
    const chunk = rows.slice(start, start + COLLECTION_LIMIT);
    const answer = await api.request('PATCH', `/composite/sobjects/Contact/${encodeURIComponent(externalIdField)}`, {
      json: { allOrNone: false, records: chunk.map((row) => ({ attributes: { type: 'Contact' }, ...row.fields })) },
    });
    const parsed = JSON.parse(answer.text) as unknown;
    const results = Array.isArray(parsed) ? (parsed as unknown[]) : [];
    chunk.forEach((row, index) => outcomes.push(outcomeOf(row, results[index])));
  }
  return outcomes;
}

function outcomeOf(row: ContactRow, result: unknown): RowOutcome {
  if (typeof result !== 'object' || result === null) return unreportedRow(row.contactId, 'Salesforce returned no result for this row');
  const { id, success, created, errors = [] } = result as CollectionResult;
  if (success === true && errors.length === 0 && typeof id === 'string' && id !== '') {
    return { contactId: row.contactId, kind: 'written', recordId: id, created: created === true };
  }
  const rowErrors: RowError[] = errors.map((error) => ({
    statusCode: typeof error.statusCode === 'string' ? error.statusCode : 'UNKNOWN_ERROR',
    message: typeof error.message === 'string' ? error.message : '',
  }));
  return refusedRow(row.contactId, rowErrors);
}
