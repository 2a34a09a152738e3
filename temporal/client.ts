import { Client, Connection } from '@temporalio/client';
import type { TemporalSettings } from './connection-settings.ts';

/** The one way this product opens a Temporal client: the CLI, the demo and other services all use it. */
export async function createTemporalClient(settings: Pick<TemporalSettings, 'address' | 'namespace'>): Promise<Client> {
  const connection = await Connection.connect({ address: settings.address });
  return new Client({ connection, namespace: settings.namespace });
}
