import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { codecKeys } from '../privacy/codec-keys.ts';
import { encryptingDataConverter } from '../privacy/data-converter.ts';
import type { TemporalSettings } from './connection-settings.ts';

/**
 * The one way this product opens a Temporal client: the CLI, the demo and other services all use it, always with the
 * encrypting data converter (privacy/data-converter.ts), so what they send is unreadable in the history. Without one
 * given, it is built from the configured keys (`CHANNELSHIFT_CODEC_KEYS` and the rest, see privacy/codec-keys.ts).
 */
export async function createTemporalClient(
  settings: Pick<TemporalSettings, 'address' | 'namespace'>,
  dataConverter: DataConverter = encryptingDataConverter(codecKeys()),
): Promise<Client> {
  const connection = await Connection.connect({ address: settings.address });
  return new Client({ connection, namespace: settings.namespace, dataConverter });
}
