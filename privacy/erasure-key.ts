import { createHmac, randomBytes } from 'node:crypto';
import { keyText } from './local-key-file.ts';

export const ERASURE_KEY_VARIABLE = 'CHANNELSHIFT_ERASURE_KEY';
export const ERASURE_KEY_FILE_VARIABLE = 'CHANNELSHIFT_ERASURE_KEY_FILE';
/** Where a machine without either variable keeps its key, made on first use. */
export const LOCAL_ERASURE_KEY_FILE = '.channelshift/erasure-key';

const KEY_BYTES = 32;
// Fewer than 16 bytes of secret would let anyone with the hashes try every number of a country.
const MIN_KEY_CHARACTERS = 32;

/**
 * The key that an erased person's number is hashed with: from CHANNELSHIFT_ERASURE_KEY, else the file
 * CHANNELSHIFT_ERASURE_KEY_FILE names, else the local key file, created (mode 0600) the first time. Without the key
 * nobody can tell whose number a hash is, since numbers are few enough to try them all.
 */
export function erasureKey(env: NodeJS.ProcessEnv = process.env, localKeyFile = LOCAL_ERASURE_KEY_FILE): Buffer {
  const { text, source } = keyText(env, {
    variable: ERASURE_KEY_VARIABLE,
    fileVariable: ERASURE_KEY_FILE_VARIABLE,
    localFile: localKeyFile,
    newText: () => `${randomBytes(KEY_BYTES).toString('hex')}\n`,
  });
  return checked(text, source);
}

/** The evidence an erasure keeps of whom it erased: HMAC-SHA256 of the E.164 number, in hex. */
export function subjectHash(key: Buffer, e164: string): string {
  return createHmac('sha256', key).update(e164).digest('hex');
}

function checked(text: string, source: string): Buffer {
  const key = text.trim();
  // Never echo the text: it is the key.
  if (key.length < MIN_KEY_CHARACTERS) throw new Error(`${source}: the erasure key must be at least ${MIN_KEY_CHARACTERS} characters (e.g. openssl rand -hex 32)`);
  return Buffer.from(key, 'utf8');
}
