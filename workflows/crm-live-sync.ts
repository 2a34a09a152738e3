import { condition, continueAsNew, defineSignal, setHandler, workflowInfo } from '@temporalio/workflow';
import type { CrmName } from '../connectors/crm-contact.ts';
import { syncUntilCurrent } from './crm-sync.ts';

export interface CrmLiveSyncInput {
  /** The CRMs the worker that woke this workflow can write to. */
  crms: CrmName[];
}

/** A webhook changed a consent or a WhatsApp state. It carries nothing about the contact: the database says what is due. */
export const crmChangedSignal = defineSignal('crmChanged');

/** One per task queue: the workers of a queue share their CRM accounts. */
export const crmLiveSyncWorkflowId = (taskQueue: string) => `crm-live-sync-${taskQueue}`;

/** Quiet this long and the workflow ends; the next change starts it again (signal-with-start). */
const IDLE = '10 minutes';
/** Wake-ups per run: a short history replays fast on whichever worker picks the workflow up. */
const ROUNDS_PER_RUN = 100;

/**
 * Carries webhook changes to every CRM within seconds, without waiting for the next scheduled run: each wake-up
 * sends what is due among the contacts the CRMs already hold. It writes through the same leases as the scheduled
 * runs, so the two never write one contact at the same time and the later write carries the later state.
 */
export async function crmLiveSyncWorkflow(input: CrmLiveSyncInput): Promise<void> {
  let changed = true;
  setHandler(crmChangedSignal, () => {
    changed = true;
  });
  for (let round = 1; ; round++) {
    if (!(await condition(() => changed, IDLE))) return;
    changed = false;
    await Promise.all(input.crms.map((crm) => syncUntilCurrent({ crm }, () => {})));
    if (round >= ROUNDS_PER_RUN || workflowInfo().continueAsNewSuggested) await continueAsNew<typeof crmLiveSyncWorkflow>(input);
  }
}
