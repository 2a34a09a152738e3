import { proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { MigrationActivities } from '../activities/index.ts';
import { CRM_NAMES } from '../connectors/crm-contact.ts';
import { withinCrmAllowance } from './crm-sync.ts';

/** `channelshift forget` writes the request, with the number, to the database; the workflow carries only its id. */
export interface ForgetPersonInput {
  requestId: string;
}

/** Records removed per place (`table:contacts`, `crm:hubspot`, `backup:<archive>`): counts, never what they held. */
export type ForgetPersonResult = Record<string, number>;

export const forgetPersonWorkflowId = (requestId: string) => `forget-${requestId}`;

const { eraseFromBackups } = proxyActivities<MigrationActivities>({
  startToCloseTimeout: '1h',
  // Finding the person's keys scans staging once before the first heartbeat.
  heartbeatTimeout: '5m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

// One transaction, which cannot heartbeat while PostgreSQL works: a generous timeout instead.
const { eraseFromDatabase } = proxyActivities<MigrationActivities>({
  startToCloseTimeout: '30m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

const { eraseFromCrm, completeErasure } = proxyActivities<MigrationActivities>({
  startToCloseTimeout: '5m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m' },
});

/**
 * Erases one person (GDPR, CCPA): their lines from every backup archive, their rows from every table of the
 * inventory (privacy/personal-data.ts), their records from each CRM the worker has, and then the number from the
 * request, which stays as the evidence (a keyed hash and counts). Backups go first, while the rows that identify
 * their lines are still there; the CRMs after the database, so a sync that read the contact before it went cannot
 * leave a record behind. Every step finds what is left, so a retry or a second request for the number succeeds.
 */
export async function forgetPersonWorkflow(input: ForgetPersonInput): Promise<ForgetPersonResult> {
  const { requestId } = input;
  setCurrentDetails('Removing the person from the backup archives.');
  await eraseFromBackups(requestId);
  setCurrentDetails('Removing the person from the database.');
  await eraseFromDatabase(requestId);
  for (const crm of CRM_NAMES) {
    setCurrentDetails(`Removing the person from ${crm}.`);
    await withinCrmAllowance('the erasure', () => eraseFromCrm(requestId, crm));
  }
  return completeErasure(requestId);
}
