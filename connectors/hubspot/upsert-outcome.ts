import type { CrmContact, CrmWriteOutcome } from '../crm-contact.ts';
import { redactPhoneNumbers } from '../../privacy/redact-phone-numbers.ts';
import { UNIQUE_ID_PROPERTY } from './contact-mapping.ts';

/** A 200 or 207 answer of `batch/upsert`; every field may be missing. */
export interface BatchUpsertAnswer {
  results?: { id: string; properties?: Record<string, string | null>; new?: boolean; objectWriteTraceId?: string }[];
  errors?: { message?: string; context?: { objectWriteTraceId?: string[] } }[];
}

/**
 * Reads a batch answer, where each input carried its contact id as `objectWriteTraceId`. A contact counts as
 * written only when HubSpot returned its record and reported no error for it; one it said nothing about fails
 * with a reason rather than vanishing. Reasons reach the dead letters, so numbers in them are redacted.
 */
export function outcomeOf(contacts: readonly CrmContact[], answer: BatchUpsertAnswer): CrmWriteOutcome {
  const reasonByContactId = new Map<string, string>();
  const unattributed: string[] = [];
  for (const error of answer.errors ?? []) {
    const message = redactPhoneNumbers(error.message ?? 'HubSpot gave no reason');
    const traceIds = error.context?.objectWriteTraceId ?? [];
    if (traceIds.length === 0) unattributed.push(message);
    for (const traceId of traceIds) reasonByContactId.set(traceId, message);
  }
  const results = answer.results ?? [];
  // Older answers lack objectWriteTraceId on results; the unique property names the record then.
  const resultByContactId = new Map(results.flatMap((r) => (r.objectWriteTraceId === undefined ? [] : [[r.objectWriteTraceId, r] as const])));
  const resultByNumber = new Map(results.map((r) => [r.properties?.[UNIQUE_ID_PROPERTY], r]));

  const outcome: CrmWriteOutcome = { written: [], failed: [], retryLater: [] };
  for (const { contactId, e164 } of contacts) {
    const reason = reasonByContactId.get(contactId);
    const result = resultByContactId.get(contactId) ?? resultByNumber.get(e164);
    if (reason !== undefined) outcome.failed.push({ contactId, reason });
    else if (result !== undefined) outcome.written.push({ contactId, recordId: result.id, created: result.new === true });
    else outcome.failed.push({ contactId, reason: silentReason(unattributed) });
  }
  return outcome;
}

function silentReason(unattributed: readonly string[]): string {
  const base = 'HubSpot reported neither a record nor an error for this contact';
  return unattributed.length === 0 ? base : `${base}; errors it did not tie to a contact: ${unattributed.join(' | ')}`;
}
