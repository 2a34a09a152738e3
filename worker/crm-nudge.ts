import type { Client } from '@temporalio/client';
import type { CrmNudge } from '../activities/opt-in/inbound-event-recorder.ts';
import type { CrmName } from '../connectors/crm-contact.ts';
import { crmChangedSignal, crmLiveSyncWorkflowId, crmLiveSyncWorkflow } from '../workflows/crm-live-sync.ts';
import { coalesced } from './coalesced-nudge.ts';

/**
 * Wakes the CRM live sync (signal-with-start: it ends when quiet and starts again on the next change). The signal
 * names no contact: the live sync reads what is due from the database.
 */
export function crmNudge({ client, taskQueue, crms }: { client: Client; taskQueue: string; crms: CrmName[] }): CrmNudge {
  if (crms.length === 0) return async () => {};
  const nudge = coalesced(async () => {
    await client.workflow.signalWithStart(crmLiveSyncWorkflow, {
      workflowId: crmLiveSyncWorkflowId(taskQueue),
      taskQueue,
      args: [{ crms }],
      signal: crmChangedSignal,
      signalArgs: [],
    });
  });
  return () => nudge('crms');
}
