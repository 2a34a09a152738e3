import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import type { CodecKey } from './codec-keys.ts';
import { PayloadEncryptionCodec } from './payload-codec.ts';

/** For a workflow bundle built ahead of time (`bundleWorkflowCode({ failureConverterPath })`). */
export const failureConverterPath = fileURLToPath(new URL('./failure-converter.ts', import.meta.url));

/**
 * What every client and worker of the product converts payloads with: encrypted with the current key, and failure
 * messages and stack traces encrypted with them, so nothing readable reaches the Temporal history.
 */
export function encryptingDataConverter(keys: readonly CodecKey[]): DataConverter {
  return { payloadCodecs: [new PayloadEncryptionCodec(keys)], failureConverterPath };
}
