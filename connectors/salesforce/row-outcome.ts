import { redactPhoneNumbers } from '../../privacy/redact-phone-numbers.ts';

/** One contact on its way to Salesforce: `fields` as Contact field name → value. */
export interface ContactRow {
  contactId: string;
  /** The E.164 number, the value of the external id field. */
  externalId: string;
  fields: Record<string, string>;
}

export type RowOutcome =
  | { contactId: string; kind: 'written'; recordId: string; created: boolean }
  | { contactId: string; kind: 'failed' | 'retryLater'; statusCode: string; reason: string };

export interface RowError {
  statusCode: string;
  message: string;
}

/**
 * Errors that say nothing about the row itself: a lock held by a parallel load, or a rollback caused by
 * another row. The row goes again in a later write instead of to the dead letters.
 */
const PASSING_ERRORS = new Set(['UNABLE_TO_LOCK_ROW', 'ALL_OR_NONE_OPERATION_ROLLED_BACK']);

/** A row Salesforce refused; passing only when every one of its errors is. Reasons may quote the row's values. */
export function refusedRow(contactId: string, errors: readonly RowError[]): RowOutcome {
  if (errors.length === 0) return unreportedRow(contactId, 'Salesforce reported the row as not written without giving a reason');
  const passing = errors.every((error) => PASSING_ERRORS.has(error.statusCode));
  const reason = redactPhoneNumbers(errors.map((error) => `${error.statusCode}: ${error.message}`).join('; '));
  return { contactId, kind: passing ? 'retryLater' : 'failed', statusCode: errors[0]!.statusCode, reason };
}

/** A row Salesforce said nothing usable about: failed, so it can never pass for written. */
export function unreportedRow(contactId: string, reason: string): RowOutcome {
  return { contactId, kind: 'failed', statusCode: 'NO_RESULT', reason };
}
