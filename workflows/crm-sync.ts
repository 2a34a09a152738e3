import { ActivityFailure, ApplicationFailure, continueAsNew, proxyActivities, setCurrentDetails, sleep, workflowInfo } from '@temporalio/workflow';
import type { MigrationActivities } from '../activities/index.ts';
import type { CrmSyncRequest, CrmSyncSlice } from '../activities/sync/sync-crm-changes.ts';
import { CRM_ALLOWANCE_SPENT, type CrmAllowanceSpentDetails, type CrmName } from '../connectors/crm-contact.ts';

const { syncCrmChanges } = proxyActivities<MigrationActivities>({
  startToCloseTimeout: '30m',
  // Short: a dead worker's slice moves to another within seconds, and takes its leases back there.
  heartbeatTimeout: '15s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

/** Contacts still due are held by another writer, or asked to be sent later: look again after this long. */
const HELD_ELSEWHERE_PAUSE = '5s';

export type SyncEnd = 'current' | 'continue-as-new';

/**
 * Sends slices until the CRM holds every contact in scope in its latest version. A spent daily allocation pauses
 * the sync on a durable timer until the vendor's reset, and then it goes on from where it was: the due contacts
 * are in the database, so nothing is replayed and nothing is skipped.
 */
export async function syncUntilCurrent(request: CrmSyncRequest, onSlice: (slice: CrmSyncSlice) => void): Promise<SyncEnd> {
  for (;;) {
    const slice = await withinCrmAllowance('the sync', () => syncCrmChanges(request));
    onSlice(slice);
    if (slice.due === 0) return 'current';
    if (workflowInfo().continueAsNewSuggested) return 'continue-as-new';
    if (slice.written + slice.unchanged + slice.failed === 0) await sleep(HELD_ELSEWHERE_PAUSE);
  }
}

/**
 * Runs a CRM activity until it goes through: a spent daily allocation waits on a durable timer for the vendor's
 * reset (the UI's details say that `work` resumes then), and any other failure is thrown.
 */
export async function withinCrmAllowance<T>(work: string, call: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await call();
    } catch (failure) {
      const spent = allowanceSpent(failure);
      if (!spent) throw failure;
      setCurrentDetails(`${spent.crm}'s daily API allocation is spent: ${work} resumes at ${spent.resumeAt}.`);
      await sleep(Math.max(1_000, Date.parse(spent.resumeAt) - Date.now()));
    }
  }
}

function allowanceSpent(failure: unknown): CrmAllowanceSpentDetails | undefined {
  const cause = failure instanceof ActivityFailure ? failure.cause : undefined;
  if (!(cause instanceof ApplicationFailure) || cause.type !== CRM_ALLOWANCE_SPENT) return undefined;
  return cause.details?.[0] as CrmAllowanceSpentDetails | undefined;
}

export interface CrmSyncInput {
  migrationId: string;
  crm: CrmName;
}

export interface CrmSyncTotals {
  written: number;
  unchanged: number;
  failed: number;
}

/** One migration's due contacts to one CRM, on their own: what `channelshift dlq retry` starts after a fix. */
export async function crmSyncWorkflow(input: CrmSyncInput, carried: CrmSyncTotals = { written: 0, unchanged: 0, failed: 0 }): Promise<CrmSyncTotals> {
  const end = await syncUntilCurrent({ crm: input.crm, migrationId: input.migrationId }, (slice) => {
    carried.written += slice.written;
    carried.unchanged += slice.unchanged;
    carried.failed += slice.failed;
  });
  if (end === 'continue-as-new') await continueAsNew<typeof crmSyncWorkflow>(input, carried);
  return carried;
}

export const crmSyncWorkflowId = (input: CrmSyncInput, reason: string) => `crm-sync-${input.migrationId}-${input.crm}-${reason}`;
