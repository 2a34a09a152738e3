import { ApplicationFailure } from '@temporalio/common';
import { crmAccount } from '../crm-account.ts';
import type { CrmClient, CrmContact, CrmWriteOutcome } from '../crm-contact.ts';
import { SlidingWindowLimit } from '../sliding-window-limit.ts';
import type { IngestJobOptions } from './bulk-ingest-job.ts';
import { upsertByBulkJob } from './bulk-upsert.ts';
import { upsertByCollections } from './collections-upsert.ts';
import { DEFAULT_EXTERNAL_ID_FIELD, toContactFields, withPlaceholderLastName } from './contact-mapping.ts';
import { eraseContact } from './contact-erasure.ts';
import { createMissingContactFields } from './field-setup.ts';
import { createSalesforceApi } from './rest-api.ts';
import type { ContactRow, RowOutcome } from './row-outcome.ts';
import { createSalesforceLogin } from './token-client.ts';
import type { SalesforceAuth } from './token-client.ts';

export interface SalesforceClientOptions {
  /** https://login.salesforce.com, https://test.salesforce.com or the org's My Domain. */
  loginUrl: string;
  auth: SalesforceAuth;
  /** Default 62.0. */
  apiVersion?: string;
  /** The unique External ID text field on Contact holding the E.164 number. */
  externalIdField?: string;
  /** Above this many contacts one upsert goes through a Bulk API 2.0 job instead of sObject Collections. */
  bulkThreshold?: number;
  /** Between polls of a Bulk job. */
  pollIntervalMs?: number;
  /** Called on every poll of a Bulk job, so the activity can heartbeat. */
  onProgress?: () => void;
  /** Pace of this client's requests, logins included. */
  requestRate?: { requests: number; intervalMs: number };
  /** After REQUEST_LIMIT_EXCEEDED, how long until the sync looks again (the allocation rolls over 24 hours). */
  allowanceRecheckMs?: number;
  /**
   * The integration user holds the Bulk API Hard Delete permission (off by default in Salesforce): `forget` then
   * deletes through a Bulk API 2.0 hardDelete job, past the Recycle Bin. Without it, deleted records wait in the
   * Recycle Bin for 15 days, which no REST call can empty.
   */
  hardDelete?: boolean;
}

export const SALESFORCE_MAX_CONTACTS_PER_WRITE = 10_000;
const DEFAULT_BULK_THRESHOLD = 2_000;
/** Well under the 25 long-running requests an org allows at once, and gentle on the daily allocation. */
const DEFAULT_REQUEST_RATE = { requests: 25, intervalMs: 1_000 };
const DEFAULT_ALLOWANCE_RECHECK_MS = 60 * 60 * 1_000;

export function createSalesforceClient(options: SalesforceClientOptions): CrmClient {
  const externalIdField = options.externalIdField ?? DEFAULT_EXTERNAL_ID_FIELD;
  const bulkThreshold = options.bulkThreshold ?? DEFAULT_BULK_THRESHOLD;
  const limit = new SlidingWindowLimit({ ...(options.requestRate ?? DEFAULT_REQUEST_RATE), name: 'salesforce-api' });
  const login = createSalesforceLogin({ loginUrl: options.loginUrl, auth: options.auth, limit });
  const api = createSalesforceApi({
    login,
    limit,
    apiVersion: options.apiVersion ?? '62.0',
    allowanceRecheckMs: options.allowanceRecheckMs ?? DEFAULT_ALLOWANCE_RECHECK_MS,
  });
  // Checked once per client: the describe would otherwise spend the daily allocation on every write.
  let fieldsReady: Promise<void> | undefined;
  const bulkJobs: IngestJobOptions = { pollIntervalMs: options.pollIntervalMs ?? 2_000, onProgress: options.onProgress };

  function write(rows: readonly ContactRow[]): Promise<RowOutcome[]> {
    if (rows.length > bulkThreshold) {
      return upsertByBulkJob(api, rows, { externalIdField, ...bulkJobs });
    }
    return upsertByCollections(api, rows, externalIdField);
  }

  // A connected app may serve several orgs; the JWT user (or the client, whose My Domain login URL names the org) tells them apart.
  const owner = options.auth.kind === 'client-credentials' ? options.auth.clientId : `${options.auth.consumerKey}:${options.auth.username}`;

  return {
    name: 'salesforce',
    account: crmAccount('salesforce', options.loginUrl.replace(/\/+$/, ''), owner),
    maxContactsPerWrite: SALESFORCE_MAX_CONTACTS_PER_WRITE,

    prepare() {
      fieldsReady ??= createMissingContactFields(api, externalIdField).catch((error: unknown) => {
        fieldsReady = undefined;
        throw error;
      });
      return fieldsReady;
    },

    async upsert(contacts) {
      checkWrite(contacts);
      if (contacts.length === 0) return { written: [], failed: [], retryLater: [] };
      const rows = contacts.map((contact) => ({
        contactId: contact.contactId,
        externalId: contact.e164,
        fields: toContactFields(contact, externalIdField),
      }));
      const outcomes = await write(rows);

      // A nameless contact is sent without LastName so an existing record keeps its name; the ones Salesforce
      // refused for the missing LastName are new, and go again with the number standing in for the name.
      const newWithoutName = contacts.filter((_, index) => {
        const outcome = outcomes[index]!;
        return rows[index]!.fields.LastName === undefined && outcome.kind === 'failed' && outcome.statusCode === 'REQUIRED_FIELD_MISSING';
      });
      if (newWithoutName.length > 0) {
        const retried = await write(
          newWithoutName.map((contact) => ({
            contactId: contact.contactId,
            externalId: contact.e164,
            fields: withPlaceholderLastName(toContactFields(contact, externalIdField), contact),
          })),
        );
        const retriedById = new Map(retried.map((outcome) => [outcome.contactId, outcome]));
        outcomes.forEach((outcome, index) => {
          outcomes[index] = retriedById.get(outcome.contactId) ?? outcome;
        });
      }
      return writeOutcomeOf(outcomes);
    },

    forget(e164) {
      return eraseContact(api, e164, { externalIdField, hardDelete: options.hardDelete ?? false, ...bulkJobs });
    },
  };
}

/** Refuses a write the contract forbids before spending any of the org's allocation on it. */
function checkWrite(contacts: readonly CrmContact[]): void {
  if (contacts.length > SALESFORCE_MAX_CONTACTS_PER_WRITE) {
    throw ApplicationFailure.nonRetryable(
      `Salesforce upserts at most ${SALESFORCE_MAX_CONTACTS_PER_WRITE} contacts per write, got ${contacts.length}`,
      'SalesforceWriteInvalid',
    );
  }
  const contactIdByNumber = new Map<string, string>();
  for (const { e164, contactId } of contacts) {
    const other = contactIdByNumber.get(e164);
    if (other !== undefined) {
      throw ApplicationFailure.nonRetryable(
        `Contacts ${other} and ${contactId} share one number; a write must not repeat a contact`,
        'SalesforceWriteInvalid',
      );
    }
    contactIdByNumber.set(e164, contactId);
  }
}

function writeOutcomeOf(outcomes: readonly RowOutcome[]): CrmWriteOutcome {
  const outcome: CrmWriteOutcome = { written: [], failed: [], retryLater: [] };
  for (const row of outcomes) {
    if (row.kind === 'written') outcome.written.push({ contactId: row.contactId, recordId: row.recordId, created: row.created });
    else outcome[row.kind].push({ contactId: row.contactId, reason: row.reason });
  }
  return outcome;
}
