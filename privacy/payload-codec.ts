import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, ValueError, type Payload, type PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';
import { CODEC_KEYS_FILE_VARIABLE, CODEC_KEYS_VARIABLE, type CodecKey } from './codec-keys.ts';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA_KEY = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const PayloadMessage = proto.temporal.api.common.v1.Payload;

/**
 * AES-256-GCM over the whole Payload (its metadata too, so not even `json/plain` shows), with a fresh IV each time
 * and the key's id beside it: new payloads take the current key, old ones are read with the key they name.
 * The data is IV, ciphertext, tag, as in Temporal's encryption samples, so their codec servers can read it.
 */
export class PayloadEncryptionCodec implements PayloadCodec {
  readonly #current: CodecKey;
  readonly #keys: ReadonlyMap<string, Buffer>;

  constructor(keys: readonly CodecKey[]) {
    const [current] = keys;
    if (!current) throw new Error('PayloadEncryptionCodec needs at least one key');
    this.#current = current;
    this.#keys = new Map(keys.map((k) => [k.id, k.key]));
  }

  /** The id new payloads are encrypted under. */
  get currentKeyId(): string {
    return this.#current.id;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.#current.key, iv);
      const plain = PayloadMessage.encode(payload).finish();
      return {
        metadata: {
          [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING),
          [KEY_ID_METADATA_KEY]: Buffer.from(this.#current.id),
        },
        data: Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      // Histories written before encryption (or by another codec) pass as they are.
      if (metadataText(payload, METADATA_ENCODING_KEY) !== ENCRYPTED_ENCODING) return payload;
      const keyId = metadataText(payload, KEY_ID_METADATA_KEY);
      if (keyId === undefined) throw new ValueError(`an encrypted payload has no ${KEY_ID_METADATA_KEY} in its metadata`);
      const key = this.#keys.get(keyId);
      if (!key) {
        throw new ValueError(
          `a payload is encrypted with key "${keyId}", which is not among this process's keys (${[...this.#keys.keys()].join(', ')}): ` +
            `add it to ${CODEC_KEYS_VARIABLE} or ${CODEC_KEYS_FILE_VARIABLE}, after the current key`,
        );
      }
      const data = payload.data ?? new Uint8Array();
      if (data.length < IV_BYTES + TAG_BYTES) throw new ValueError(`a payload encrypted with key "${keyId}" is too short to hold its IV and tag`);
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      let plain: Buffer;
      try {
        plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      } catch {
        throw new ValueError(`a payload encrypted with key "${keyId}" fails authentication: it was altered, or another key has the same id`);
      }
      return PayloadMessage.decode(plain);
    });
  }
}

function metadataText(payload: Payload, key: string): string | undefined {
  const value = payload.metadata?.[key];
  return value ? Buffer.from(value).toString('utf8') : undefined;
}
