import { randomBytes } from 'node:crypto';
import { keyText } from './local-key-file.ts';

/** An AES-256 key for Temporal payloads and the id stored beside each payload it encrypts. */
export interface CodecKey {
  id: string;
  key: Buffer;
}

export const CODEC_KEYS_VARIABLE = 'CHANNELSHIFT_CODEC_KEYS';
export const CODEC_KEYS_FILE_VARIABLE = 'CHANNELSHIFT_CODEC_KEYS_FILE';
/** Where a machine without either variable keeps its key, beside the embedded database and the dev server's history. */
export const LOCAL_CODEC_KEYS_FILE = '.channelshift/codec-keys';

const KEY_BYTES = 32;
// Ids go into every payload's metadata and between `,` and `:` in the variable.
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export interface CodecKeysOptions {
  env?: NodeJS.ProcessEnv;
  /**
   * Create the local key file when there is no key anywhere: for the demo, `npm run temporal` and tests only. A
   * worker or a command that made its own key could not read what the others wrote.
   */
  createLocalKeyFile?: boolean;
  localKeyFile?: string;
}

/**
 * The payload encryption keys, the current one (which encrypts) first; the others only decrypt what older keys
 * wrote. From CHANNELSHIFT_CODEC_KEYS, else the file CHANNELSHIFT_CODEC_KEYS_FILE names, else the local key file.
 */
export function codecKeys(options: CodecKeysOptions = {}): CodecKey[] {
  const local = options.localKeyFile ?? LOCAL_CODEC_KEYS_FILE;
  const { text, source } = keyText(options.env ?? process.env, {
    variable: CODEC_KEYS_VARIABLE,
    fileVariable: CODEC_KEYS_FILE_VARIABLE,
    localFile: local,
    newText: () => {
      if (!options.createLocalKeyFile) throw noKey(local);
      // Base 36 time: ids of keys made on different days differ, and no run of digits reads like a phone number.
      return newCodecKeyText(`local-${Date.now().toString(36)}`);
    },
  });
  return parseCodecKeys(text, source);
}

/** `id:base64,id:base64,...` (new lines also separate keys, for files); `source` names where the text came from. */
export function parseCodecKeys(text: string, source: string): CodecKey[] {
  const entries = text.split(/[,\s]+/).filter(Boolean);
  if (entries.length === 0) throw new Error(`${source} holds no key`);
  const keys: CodecKey[] = [];
  entries.forEach((entry, index) => {
    const colon = entry.indexOf(':');
    // Never echo the entry: a malformed one may be the key itself.
    if (colon < 0) throw new Error(`${source}: key ${index + 1} is not written id:base64-key`);
    const id = entry.slice(0, colon);
    const encoded = entry.slice(colon + 1);
    if (!KEY_ID.test(id)) throw new Error(`${source}: the id of key ${index + 1} must be 1 to 64 letters, digits, '.', '_' or '-'`);
    if (keys.some((key) => key.id === id)) throw new Error(`${source}: key id "${id}" appears twice`);
    if (!BASE64.test(encoded)) throw new Error(`${source}: key "${id}" is not base64`);
    const key = Buffer.from(encoded, 'base64');
    if (key.length !== KEY_BYTES) throw new Error(`${source}: key "${id}" is ${key.length} bytes; AES-256 needs ${KEY_BYTES} (openssl rand -base64 32)`);
    keys.push({ id, key });
  });
  return keys;
}

/** The text of a new key ring of one random key, as the variables and key files hold it. */
export function newCodecKeyText(id: string): string {
  return `${id}:${randomBytes(KEY_BYTES).toString('base64')}\n`;
}

/** For a machine with no key that may not make one: how to give it the namespace's keys. */
function noKey(local: string): Error {
  return new Error(
    `no key to encrypt Temporal payloads with: set ${CODEC_KEYS_VARIABLE}="<id>:<base64 of 32 random bytes>" ` +
      `(e.g. ${CODEC_KEYS_VARIABLE}="k1:$(openssl rand -base64 32)"), or ${CODEC_KEYS_FILE_VARIABLE} to a file holding the same text; ` +
      `every worker and client of a Temporal namespace needs the same keys (\`npm run demo\` and \`npm run temporal\` create ${local} for a local setup)`,
  );
}
