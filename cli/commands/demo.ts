import { resolve } from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { parseArgs } from 'node:util';
import { createContactsCheckClient } from '../../connectors/whatsapp/contacts-check-client.ts';
import { startContactsCheckEmulator } from '../../connectors/whatsapp/contacts-check-emulator.ts';
import { createHubSpotClient } from '../../connectors/hubspot/client.ts';
import { startHubSpotEmulator } from '../../connectors/hubspot/emulator.ts';
import { databaseLocation, describeLocation, openDatabase } from '../../database/connect.ts';
import { customerBaseColumns, writeCustomerBase } from '../../demo/customer-base.ts';
import { createTemporalClient } from '../../temporal/client.ts';
import { findOrInstallTemporalCli } from '../../temporal/cli-install.ts';
import { temporalSettings } from '../../temporal/connection-settings.ts';
import { startDevServer } from '../../temporal/dev-server.ts';
import { devServerOptionsFromEnv } from '../../temporal/dev-server-env.ts';
import { createMigrationWorker } from '../../worker/migration-worker.ts';
import type { MigrationInput } from '../../workflows/migration-input.ts';
import { followMigration, startOrAttach } from '../follow-migration.ts';
import { progressDisplay } from '../progress-display.ts';
import { summaryText } from '../summary-text.ts';
import { UsageError } from '../usage-error.ts';

/**
 * The whole product on one machine in sandbox mode: a Temporal dev server (unless TEMPORAL_ADDRESS names one),
 * the vendor emulators, a generated customer base, a worker, and one migration run to its end.
 */
export async function demoCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { rows: { type: 'string', default: '20000' } } });
  const rows = Number(values.rows);
  if (!Number.isInteger(rows) || rows < 1) throw new UsageError('--rows: a whole number of customers');
  const log = (line: string) => console.error(line);
  // The worker's life-cycle lines would bury the progress display; warnings and errors still show.
  Runtime.install({ logger: new DefaultLogger('WARN') });

  const settings = temporalSettings();
  const devServer = process.env.TEMPORAL_ADDRESS
    ? undefined
    : await startDevServer(devServerOptionsFromEnv(await findOrInstallTemporalCli(log)));
  const temporal = { ...settings, address: devServer?.address ?? settings.address };
  const whatsApp = await startContactsCheckEmulator();
  const hubspot = await startHubSpotEmulator();
  const location = databaseLocation();
  const db = await openDatabase(location);
  try {
    const file = resolve('.channelshift/demo/customers.csv');
    const truth = await writeCustomerBase(file, rows);
    log(`Generated ${truth.rows} customers (${truth.rejectedRows} with unusable numbers, ${truth.validRows - truth.distinctNumbers} repeats) in ${file}.`);
    log(`Database: ${describeLocation(location)}. Emulators: WhatsApp contacts check ${whatsApp.url}, HubSpot ${hubspot.url}.`);

    const { worker, run } = await createMigrationWorker({
      temporal,
      dependencies: {
        db,
        contactsCheck: createContactsCheckClient({ baseUrl: whatsApp.url, token: whatsApp.token }),
        hubspot: createHubSpotClient({ baseUrl: hubspot.url, token: hubspot.token, burstLimit: { requests: 190, intervalMs: 10_000 } }),
        clock: () => new Date(),
      },
    });
    const running = run();
    const client = await createTemporalClient(temporal);
    try {
      const input: MigrationInput = {
        // Base 36 time: unique per run, and no long run of digits that reads like a phone number.
        migrationId: `demo-${Date.now().toString(36)}`,
        source: { kind: 'csv', name: 'demo-customers', path: file, columns: customerBaseColumns },
      };
      const handle = await startOrAttach(client, temporal.taskQueue, input);
      const runUrl = devServer && `${devServer.uiUrl}/namespaces/${temporal.namespace}/workflows/${handle.workflowId}`;
      if (runUrl) log(`Watch it live in the Temporal UI: ${runUrl}`);
      const summary = await followMigration(handle, progressDisplay());
      console.log(summaryText(summary));
      console.log(`\nCleaned contacts and rejected rows: npx channelshift export ${input.migrationId} --out ${input.migrationId}.csv`);
      console.log(
        runUrl
          ? `The run is kept in .channelshift/temporal.db: \`npm run temporal\` serves it again at ${runUrl}`
          : `The run is workflow ${handle.workflowId} in namespace ${temporal.namespace} on ${temporal.address}.`,
      );
    } finally {
      worker.shutdown();
      await running;
      await client.connection.close();
    }
  } finally {
    await Promise.all([whatsApp.close(), hubspot.close(), db.destroy()]);
    await devServer?.stop();
  }
}
