import { executeChild } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { migrationWorkflow } from './migration.ts';
import { migrationWorkflowId, type MigrationInput } from './migration-input.ts';
import type { MigrationSummary } from './migration-progress.ts';

export type TransitionRun = { ran: true; summary: MigrationSummary } | { ran: false; reason: string };

/**
 * One scheduled run of the transition window: the migration again, incremental, under the migration's own
 * workflow id, so a run can never overlap the migration or another run (the schedule also skips overlaps), and
 * `channelshift status` shows the latest. The opt-in campaign is not sent again: consent and WhatsApp states come
 * from the ledger and the webhooks.
 */
export async function transitionSyncWorkflow(input: MigrationInput): Promise<TransitionRun> {
  const { optIn: _campaignRunsOnce, ...migration } = input;
  try {
    const summary = await executeChild(migrationWorkflow, {
      workflowId: migrationWorkflowId(input.migrationId),
      args: [{ ...migration, incremental: true }],
    });
    return { ran: true, summary };
  } catch (failure) {
    if (failure instanceof WorkflowExecutionAlreadyStartedError) return { ran: false, reason: `migration ${input.migrationId} is still running` };
    throw failure;
  }
}
