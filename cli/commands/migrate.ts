import { parseArgs } from 'node:util';
import { createTemporalClient } from '../../temporal/client.ts';
import { temporalSettings } from '../../temporal/connection-settings.ts';
import { readMigrationConfig } from '../migration-config.ts';
import { followMigration, startOrAttach } from '../follow-migration.ts';
import { progressDisplay } from '../progress-display.ts';
import { summaryText } from '../summary-text.ts';
import { UsageError } from '../usage-error.ts';

export async function migrateCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { config: { type: 'string' }, json: { type: 'boolean', default: false } } });
  if (!values.config) throw new UsageError('migrate needs --config FILE');
  const input = await readMigrationConfig(values.config);
  const settings = temporalSettings();
  const client = await createTemporalClient(settings);
  try {
    const handle = await startOrAttach(client, settings.taskQueue, input);
    console.error(`Following ${handle.workflowId} on ${settings.address} (namespace ${settings.namespace}).`);
    const summary = await followMigration(handle, progressDisplay());
    console.log(values.json ? JSON.stringify(summary, null, 2) : summaryText(summary));
  } finally {
    await client.connection.close();
  }
}
