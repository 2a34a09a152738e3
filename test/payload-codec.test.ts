import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { codecKeys, parseCodecKeys, type CodecKey } from '../privacy/codec-keys.ts';
import { PayloadEncryptionCodec } from '../privacy/payload-codec.ts';

const key = (id: string): CodecKey => ({ id, key: randomBytes(32) });
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');
const customer = defaultPayloadConverter.toPayload({ phone: '+971501234567', name: 'Fatima Al-Sayed', text: 'Yes, move me to WhatsApp' });

describe('PayloadEncryptionCodec', () => {
  it('hides the whole payload, its metadata too, and gives it back as it was', async () => {
    const codec = new PayloadEncryptionCodec([key('k1')]);
    const [encrypted] = await codec.encode([customer]);
    expect(text(encrypted!.metadata!.encoding)).toBe('binary/encrypted');
    expect(text(encrypted!.metadata!['encryption-key-id'])).toBe('k1');
    expect(Object.keys(encrypted!.metadata!).sort()).toEqual(['encoding', 'encryption-key-id']);
    for (const secret of ['+971501234567', '971501234567', 'Fatima', 'WhatsApp', 'json/plain']) expect(text(encrypted!.data)).not.toContain(secret);

    const [decoded] = await codec.decode([encrypted!]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual({ phone: '+971501234567', name: 'Fatima Al-Sayed', text: 'Yes, move me to WhatsApp' });
    expect(text(decoded!.metadata!.encoding)).toBe('json/plain');
  });

  it('takes a fresh IV for every payload: the same value never encrypts the same way twice', async () => {
    const codec = new PayloadEncryptionCodec([key('k1')]);
    const [first, second] = await codec.encode([customer, customer]);
    expect(Buffer.from(first!.data!).equals(Buffer.from(second!.data!))).toBe(false);
  });

  it('rotates: the new key encrypts, the old one still decrypts what it wrote', async () => {
    const [oldKey, newKey] = [key('2025-q4'), key('2026-q1')];
    const [written] = await new PayloadEncryptionCodec([oldKey]).encode([customer]);
    const rotated = new PayloadEncryptionCodec([newKey, oldKey]);
    const [read] = await rotated.decode([written!]);
    expect(defaultPayloadConverter.fromPayload(read!)).toMatchObject({ name: 'Fatima Al-Sayed' });
    const [rewritten] = await rotated.encode([customer]);
    expect(text(rewritten!.metadata!['encryption-key-id'])).toBe('2026-q1');
    await expect(new PayloadEncryptionCodec([oldKey]).decode([rewritten!])).rejects.toThrow(/key "2026-q1".*CHANNELSHIFT_CODEC_KEYS/);
  });

  it('refuses altered data, and a payload relabelled with another key it holds', async () => {
    const [k1, k2] = [key('k1'), key('k2')];
    const codec = new PayloadEncryptionCodec([k1, k2]);
    const [encrypted] = await codec.encode([customer]);
    const data = Buffer.from(encrypted!.data!);
    data[20]! ^= 1;
    await expect(codec.decode([{ ...encrypted!, data }])).rejects.toThrow('a payload encrypted with key "k1" fails authentication');
    const relabelled: Payload = { data: encrypted!.data, metadata: { ...encrypted!.metadata, 'encryption-key-id': Buffer.from('k2') } };
    await expect(codec.decode([relabelled])).rejects.toThrow('fails authentication');
  });

  it('passes payloads written before encryption through, so older histories stay readable', async () => {
    const [decoded] = await new PayloadEncryptionCodec([key('k1')]).decode([customer]);
    expect(decoded).toBe(customer);
  });
});

describe('codec keys', () => {
  const base64 = (bytes: number) => randomBytes(bytes).toString('base64');

  it('reads id:base64 pairs, the first one current', () => {
    const keys = parseCodecKeys(`new:${base64(32)}, old:${base64(32)}\n`, 'CHANNELSHIFT_CODEC_KEYS');
    expect(keys.map((k) => k.id)).toEqual(['new', 'old']);
    expect(keys.every((k) => k.key.length === 32)).toBe(true);
  });

  it('names the variable and the key id of a bad key, never the key', () => {
    const short = base64(16);
    expect(() => parseCodecKeys(`k1:${short}`, 'CHANNELSHIFT_CODEC_KEYS')).toThrow('CHANNELSHIFT_CODEC_KEYS: key "k1" is 16 bytes; AES-256 needs 32');
    expect(() => parseCodecKeys(`k1:not*base64!`, 'CHANNELSHIFT_CODEC_KEYS')).toThrow('CHANNELSHIFT_CODEC_KEYS: key "k1" is not base64');
    expect(() => parseCodecKeys(`k1:${base64(32)},k1:${base64(32)}`, 'CHANNELSHIFT_CODEC_KEYS')).toThrow('CHANNELSHIFT_CODEC_KEYS: key id "k1" appears twice');
    const bare = base64(32);
    const error = (() => {
      try {
        parseCodecKeys(bare, 'CHANNELSHIFT_CODEC_KEYS_FILE (/run/secrets/codec-keys)');
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect(error).toBe('CHANNELSHIFT_CODEC_KEYS_FILE (/run/secrets/codec-keys): key 1 is not written id:base64-key');
    expect(error).not.toContain(bare);
  });

  it('takes the variable, else the file it names, else the local key file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'codec-keys-'));
    const file = join(dir, 'secret');
    const fileKey = base64(32);
    writeFileSync(file, `from-file:${fileKey}\n`);
    expect(codecKeys({ env: { CHANNELSHIFT_CODEC_KEYS: `inline:${base64(32)}` } })[0]!.id).toBe('inline');
    expect(codecKeys({ env: { CHANNELSHIFT_CODEC_KEYS_FILE: file } })[0]!.key.toString('base64')).toBe(fileKey);
    expect(() => codecKeys({ env: { CHANNELSHIFT_CODEC_KEYS: `inline:${base64(32)}`, CHANNELSHIFT_CODEC_KEYS_FILE: file } })).toThrow('not both');
    expect(() => codecKeys({ env: { CHANNELSHIFT_CODEC_KEYS_FILE: join(dir, 'missing') } })).toThrow(`CHANNELSHIFT_CODEC_KEYS_FILE (${join(dir, 'missing')}) cannot be read`);
  });

  it('creates the local key file only where allowed, readable by its owner alone, and reuses it', () => {
    const local = join(mkdtempSync(join(tmpdir(), 'codec-keys-')), '.channelshift', 'codec-keys');
    expect(() => codecKeys({ env: {}, localKeyFile: local })).toThrow(/CHANNELSHIFT_CODEC_KEYS=.*CHANNELSHIFT_CODEC_KEYS_FILE/);
    const [created] = codecKeys({ env: {}, localKeyFile: local, createLocalKeyFile: true });
    expect(statSync(local).mode & 0o777).toBe(0o600);
    expect(readFileSync(local, 'utf8')).toMatch(/^local-[a-z0-9]+:[A-Za-z0-9+/]{43}=\n$/);
    const [again] = codecKeys({ env: {}, localKeyFile: local });
    expect(again!.id).toBe(created!.id);
    expect(again!.key.equals(created!.key)).toBe(true);
  });
});
