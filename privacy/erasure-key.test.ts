import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { erasureKey, subjectHash } from './erasure-key.ts';

const KEY = 'f'.repeat(64);

describe('the erasure key', () => {
  it('is made once, readable by its owner only, and the same on every later use', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'erasure-key-')), '.channelshift', 'erasure-key');
    const first = erasureKey({}, file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(erasureKey({}, file)).toEqual(first);
    expect(subjectHash(first, '+971567770042')).toBe(subjectHash(erasureKey({}, file), '+971567770042'));
  });

  it('comes from CHANNELSHIFT_ERASURE_KEY or the file CHANNELSHIFT_ERASURE_KEY_FILE names, never both', () => {
    const dir = mkdtempSync(join(tmpdir(), 'erasure-key-'));
    const file = join(dir, 'key');
    writeFileSync(file, `${KEY}\n`);
    const local = join(dir, 'local');
    expect(erasureKey({ CHANNELSHIFT_ERASURE_KEY: KEY }, local)).toEqual(Buffer.from(KEY));
    expect(erasureKey({ CHANNELSHIFT_ERASURE_KEY_FILE: file }, local)).toEqual(Buffer.from(KEY));
    expect(() => erasureKey({ CHANNELSHIFT_ERASURE_KEY: KEY, CHANNELSHIFT_ERASURE_KEY_FILE: file }, local)).toThrow('not both');
    expect(() => erasureKey({ CHANNELSHIFT_ERASURE_KEY_FILE: join(dir, 'missing') }, local)).toThrow('cannot be read');
    expect(() => readFileSync(local)).toThrow();
  });

  it('is refused when short enough to guess, without echoing it', () => {
    expect(() => erasureKey({ CHANNELSHIFT_ERASURE_KEY: 'secret' }, '/nonexistent')).toThrow(/at least 32 characters/);
    expect(() => erasureKey({ CHANNELSHIFT_ERASURE_KEY: 'secret' }, '/nonexistent')).not.toThrow(/secret/);
  });

  it('hashes a number with HMAC-SHA256: another key gives another hash', () => {
    expect(subjectHash(Buffer.from(KEY), '+971567770042')).toMatch(/^[0-9a-f]{64}$/);
    expect(subjectHash(Buffer.from(KEY), '+971567770042')).not.toBe(subjectHash(Buffer.from('e'.repeat(64)), '+971567770042'));
  });
});
