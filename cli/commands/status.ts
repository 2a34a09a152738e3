import { parseArgs } from 'node:util';
import { createTemporalClient } from '../../temporal/client.ts';
import { temporalSettings } from '../../temporal/connection-settings.ts';
import { migrationWorkflowId } from '../../workflows/migration-input.ts';
import { progressQuery, type MigrationProgress } from '../../workflows/migration-progress.ts';
import type { migrationWorkflow } from '../../workflows/migration.ts';
import { summaryText } from '../summary-text.ts';
import { UsageError } from '../usage-error.ts';

export async function statusCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean', default: false } } });
  const [migrationId] = positionals;
  if (!migrationId) throw new UsageError('status needs the migration id');
  const settings = temporalSettings();
  const client = await createTemporalClient(settings);
  try {
    const handle = client.workflow.getHandle<typeof migrationWorkflow>(migrationWorkflowId(migrationId));
    const { status } = await handle.describe();
    // A finished run's result is in its history; a running one answers the query.
    const progress: MigrationProgress | undefined =
      status.name === 'COMPLETED' ? await handle.result() : status.name === 'RUNNING' ? await handle.query(progressQuery) : undefined;
    if (values.json) {
      console.log(JSON.stringify({ status: status.name, progress }, null, 2));
    } else {
      console.log(`${handle.workflowId}: ${status.name}`);
      if (progress) console.log(summaryText(progress));
    }
  } finally {
    await client.connection.close();
  }
}
