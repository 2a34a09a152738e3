import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import { startContactsCheckEmulator, type ContactsCheckEmulator } from '../connectors/whatsapp/contacts-check-emulator.ts';
import { PRO_BURST_LIMIT } from '../connectors/hubspot/burst-limit.ts';
import { startHubSpotEmulator, type HubSpotEmulator } from '../connectors/hubspot/emulator.ts';
import { databaseLocation, describeLocation, openDatabase } from '../database/connect.ts';
import type { Database } from '../database/schema.ts';
import { createTemporalClient } from '../temporal/client.ts';
import { findOrInstallTemporalCli } from '../temporal/cli-install.ts';
import { temporalSettings, type TemporalSettings } from '../temporal/connection-settings.ts';
import { startDevServer, type DevServer } from '../temporal/dev-server.ts';
import { devServerOptionsFromEnv } from '../temporal/dev-server-env.ts';
import { createConnectors } from '../worker/connector-settings.ts';
import { createMigrationWorker } from '../worker/migration-worker.ts';

/**
 * The product in sandbox mode on one machine: a Temporal dev server (unless TEMPORAL_ADDRESS names one),
 * the vendor emulators, the database and a worker, all started and stopped together.
 */
export interface SandboxStack {
  temporal: TemporalSettings;
  devServer: DevServer | undefined;
  client: Client;
  db: Kysely<Database>;
  whatsApp: ContactsCheckEmulator;
  hubspot: HubSpotEmulator;
  close(): Promise<void>;
}

export async function startSandboxStack(log: (line: string) => void): Promise<SandboxStack> {
  // The worker's life-cycle lines would bury the progress display; warnings and errors still show.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const settings = temporalSettings();
  const devServer = process.env.TEMPORAL_ADDRESS
    ? undefined
    : await startDevServer(devServerOptionsFromEnv(await findOrInstallTemporalCli(log)));
  const temporal = { ...settings, address: devServer?.address ?? settings.address };
  const whatsApp = await startContactsCheckEmulator();
  const hubspot = await startHubSpotEmulator({ burstLimit: PRO_BURST_LIMIT });
  const location = databaseLocation();
  const db = await openDatabase(location);
  log(`Database: ${describeLocation(location)}. Emulators: WhatsApp contacts check ${whatsApp.url}, HubSpot ${hubspot.url}.`);

  const { worker, run } = await createMigrationWorker({
    temporal,
    dependencies: {
      db,
      ...createConnectors({
        whatsAppContacts: { baseUrl: whatsApp.url, token: whatsApp.token },
        hubspot: { baseUrl: hubspot.url, token: hubspot.token, burstLimit: PRO_BURST_LIMIT },
      }),
      clock: () => new Date(),
    },
  });
  const running = run();
  const client = await createTemporalClient(temporal);
  return {
    temporal,
    devServer,
    client,
    db,
    whatsApp,
    hubspot,
    async close() {
      worker.shutdown();
      await running;
      await client.connection.close();
      await Promise.all([whatsApp.close(), hubspot.close(), db.destroy()]);
      await devServer?.stop();
    },
  };
}
