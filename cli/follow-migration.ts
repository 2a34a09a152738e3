import { setTimeout as sleep } from 'node:timers/promises';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { migrationWorkflow } from '../workflows/migration.ts';
import { migrationWorkflowId, type MigrationInput } from '../workflows/migration-input.ts';
import { progressQuery, type MigrationSummary } from '../workflows/migration-progress.ts';
import { migrationIdKey } from '../workflows/search-attributes.ts';
import type { ProgressDisplay } from './progress-display.ts';

/** Starts the migration, or attaches to the running one with the same id. */
export async function startOrAttach(client: Client, taskQueue: string, input: MigrationInput): Promise<WorkflowHandle<typeof migrationWorkflow>> {
  return client.workflow.start<typeof migrationWorkflow>('migrationWorkflow', {
    workflowId: migrationWorkflowId(input.migrationId),
    taskQueue,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: [{ key: migrationIdKey, value: input.migrationId }],
  });
}

/** Shows the run's progress until it ends, and returns its summary. */
export async function followMigration(handle: WorkflowHandle<typeof migrationWorkflow>, display: ProgressDisplay): Promise<MigrationSummary> {
  let finished = false;
  const result = handle.result().finally(() => (finished = true));
  while (!finished) {
    // The query fails while the first workflow task is still to run; the next poll tries again.
    await handle.query(progressQuery).then(display.show, () => {});
    await Promise.race([result.catch(() => {}), sleep(500)]);
  }
  const summary = await result;
  display.show(summary);
  display.finish();
  return summary;
}
