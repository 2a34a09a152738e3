import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { Kysely } from 'kysely';
import type { Client } from '@temporalio/client';
import {
  startContactsCheckEmulator,
  type ContactsCheckEmulator,
  type ContactsCheckEmulatorOptions,
} from '../../connectors/whatsapp/contacts-check-emulator.ts';
import { PRO_BURST_LIMIT } from '../../connectors/hubspot/burst-limit.ts';
import { startHubSpotEmulator, type HubSpotEmulator } from '../../connectors/hubspot/emulator.ts';
import { openDatabase } from '../../database/connect.ts';
import type { Database } from '../../database/schema.ts';
import { createTemporalClient } from '../../temporal/client.ts';
import type { TemporalSettings } from '../../temporal/connection-settings.ts';
import { createConnectors } from '../../worker/connector-settings.ts';
import { createMigrationWorker } from '../../worker/migration-worker.ts';

/**
 * Everything a migration test runs against: the suite's Temporal server and PostgreSQL database, fresh
 * emulators, and a task queue of its own so tests never pick up each other's work.
 */
export interface Sandbox {
  db: Kysely<Database>;
  whatsApp: ContactsCheckEmulator;
  hubspot: HubSpotEmulator;
  temporal: TemporalSettings;
  databaseUrl: string;
  client: Client;
  /** Environment for a worker or CLI started as a separate process against this sandbox. */
  processEnv: NodeJS.ProcessEnv;
  dataDir: string;
  /** Starts an in-process worker; the returned function stops it. */
  startWorker(): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export async function openSandbox(options: { whatsApp?: ContactsCheckEmulatorOptions } = {}): Promise<Sandbox> {
  const temporal: TemporalSettings = {
    address: inject('temporalAddress'),
    namespace: inject('temporalNamespace'),
    taskQueue: `test-${randomUUID()}`,
  };
  const databaseUrl = inject('databaseUrl');
  const db = await openDatabase({ kind: 'postgres', url: databaseUrl });
  const whatsApp = await startContactsCheckEmulator(options.whatsApp);
  const hubspot = await startHubSpotEmulator();
  const client = await createTemporalClient(temporal);
  const stops: (() => Promise<void>)[] = [];

  return {
    db,
    whatsApp,
    hubspot,
    temporal,
    databaseUrl,
    client,
    dataDir: mkdtempSync(join(tmpdir(), 'channelshift-test-')),
    processEnv: {
      ...process.env,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: temporal.namespace,
      TEMPORAL_TASK_QUEUE: temporal.taskQueue,
      DATABASE_URL: databaseUrl,
      WHATSAPP_CONTACTS_URL: whatsApp.url,
      WHATSAPP_CONTACTS_TOKEN: whatsApp.token,
      HUBSPOT_BASE_URL: hubspot.url,
      HUBSPOT_TOKEN: hubspot.token,
      HUBSPOT_BURST_LIMIT: String(PRO_BURST_LIMIT.requests),
    },
    async startWorker() {
      const { worker, run } = await createMigrationWorker({
        temporal,
        workflowBundle: { codePath: inject('workflowBundlePath') },
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
      const stop = async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
      };
      stops.push(stop);
      return stop;
    },
    async close() {
      await Promise.all(stops.map((stop) => stop()));
      await client.connection.close();
      await Promise.all([whatsApp.close(), hubspot.close(), db.destroy()]);
    },
  };
}
