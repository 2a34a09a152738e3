import { ApplicationFailure } from '@temporalio/common';

export type WhatsAppStatus = 'on_whatsapp' | 'not_on_whatsapp' | 'unknown';
export type ConsentState = 'granted' | 'withdrawn' | 'unknown';
export type SourceChannel = 'sms' | 'viber';

/**
 * A contact as every CRM receives it, in one vocabulary, so the sync can hand the same rows to HubSpot or
 * Salesforce. Each connector maps it to its own fields and keys the upsert on the E.164 number.
 */
export interface CrmContact {
  /** Our contact id: each connector echoes it back on its outcome (HubSpot's objectWriteTraceId, Salesforce's result order). */
  contactId: string;
  /** With its `+`, so numbers from different sources always match one record. */
  e164: string;
  name: string | null;
  /** ISO 3166-1 alpha-2 */
  country: string | null;
  whatsAppStatus: WhatsAppStatus;
  waId: string | null;
  consent: ConsentState;
  /** When the customer gave or withdrew consent (the event's time, not ours), ISO 8601. */
  consentAt: string | null;
  sourceChannels: readonly SourceChannel[];
}

/** What the CRM did with each contact of one write; every contact sent is in exactly one list. */
export interface CrmWriteOutcome {
  written: { contactId: string; recordId: string; created: boolean }[];
  /** Refused rows, with the vendor's own reason; they go to the dead letters. */
  failed: { contactId: string; reason: string }[];
  /**
   * Rows the CRM did not process this time for a passing cause (Salesforce's `UNABLE_TO_LOCK_ROW`, a Bulk job's
   * unprocessed records): they stay pending and go again in the sync's next write, never to the dead letters.
   */
  retryLater: { contactId: string; reason: string }[];
}

/** What `forget` did: how many records carried the number, all of them now removed. */
export interface CrmErasure {
  outcome: 'deleted' | 'absent';
  records: number;
}

export interface CrmClient {
  readonly name: CrmName;
  /**
   * Which account of the CRM this client writes to (its address and whose credentials), so what one account
   * received is never taken for what another has: another portal or org starts from nothing.
   */
  readonly account: string;
  /** Creates the custom fields the sync writes when they are missing; safe to call again. */
  prepare(): Promise<void>;
  /**
   * Upserts by E.164, choosing the vendor's batch shape for the size (HubSpot: 100 per request; Salesforce:
   * collections of 200, or a Bulk API 2.0 job above about 2,000). The contacts must have distinct numbers.
   * Throws a retryable failure for throttles and server errors, `crmAllowanceSpent` when the daily allocation
   * is gone, and a non-retryable one for anything a retry cannot fix.
   */
  upsert(contacts: readonly CrmContact[]): Promise<CrmWriteOutcome>;
  /**
   * Erasure (GDPR, CCPA): removes every record of the CRM that carries this number as its key, permanently where
   * the vendor allows, with what the connector itself left there about it. 'absent' when there was none, so a
   * second call after a success answers 'absent'. Throws classified failures like `upsert`.
   */
  forget(e164: string): Promise<CrmErasure>;
  /** How many contacts one `upsert` call should carry at most. */
  readonly maxContactsPerWrite: number;
}

export type CrmName = 'hubspot' | 'salesforce';
export const CRM_NAMES: readonly CrmName[] = ['hubspot', 'salesforce'];

/** The failure type for a spent daily allocation: the sync pauses until `resumeAt`, durably, instead of retrying. */
export const CRM_ALLOWANCE_SPENT = 'CrmAllowanceSpent';

export interface CrmAllowanceSpentDetails {
  crm: CrmName;
  /** ISO 8601: when the vendor's allocation returns. */
  resumeAt: string;
}

export function crmAllowanceSpent(crm: CrmName, resumeAt: Date, message: string): ApplicationFailure {
  const details: CrmAllowanceSpentDetails = { crm, resumeAt: resumeAt.toISOString() };
  return ApplicationFailure.create({ type: CRM_ALLOWANCE_SPENT, message, nonRetryable: true, details: [details] });
}
