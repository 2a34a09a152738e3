import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { databaseLocation } from '../database/connect.ts';
import { resolveSecretFiles, secretValues } from './secret-environment.ts';
import { workerSettings } from './worker-settings.ts';

const dir = mkdtempSync(join(tmpdir(), 'channelshift-secrets-'));
// A worker reads the payload keys with its other settings; these tests give one unless they are about it.
const CODEC_KEY = `test:${randomBytes(32).toString('base64')}`;
function secretFile(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('secret files', () => {
  it('reads NAME_FILE into NAME without its trailing line break, and leaves NAME_FILE out', () => {
    const { env, problems } = resolveSecretFiles({
      CHANNELSHIFT_CODEC_KEYS: CODEC_KEY,
      PLIVO_AUTH_ID: 'MAXXXXXXXXXXXXXXXXXX',
      PLIVO_AUTH_TOKEN_FILE: secretFile('plivo-token', 'plivo-token-from-file\n'),
      DATABASE_URL_FILE: secretFile('database-url', 'postgres://channelshift:p%40ss-word@db:5432/channelshift\r\n'),
    });
    expect(problems).toEqual([]);
    expect(env.PLIVO_AUTH_TOKEN).toBe('plivo-token-from-file');
    expect(env.PLIVO_AUTH_TOKEN_FILE).toBeUndefined();
    expect(workerSettings(env).connectors.plivo).toMatchObject({ authId: 'MAXXXXXXXXXXXXXXXXXX', authToken: 'plivo-token-from-file' });
    expect(databaseLocation(env)).toEqual({ kind: 'postgres', url: 'postgres://channelshift:p%40ss-word@db:5432/channelshift' });
    // The password as written in the URL and as a server's error would quote it.
    expect(secretValues(env)).toEqual(expect.arrayContaining(['plivo-token-from-file', 'MAXXXXXXXXXXXXXXXXXX', 'p%40ss-word', 'p@ss-word']));
  });

  it('names the variable and the file of a file that cannot be read, is empty, or is given beside the value, never the value', () => {
    const missing = join(dir, 'no-such-token');
    const { problems } = resolveSecretFiles({
      PLIVO_AUTH_TOKEN_FILE: missing,
      VIBER_AUTH_TOKEN_FILE: secretFile('empty', '\n'),
      HUBSPOT_TOKEN: 'pat-na1-inline-value',
      HUBSPOT_TOKEN_FILE: secretFile('hubspot-token', 'pat-na1-file-value'),
    });
    expect(problems).toEqual([
      { variable: 'HUBSPOT_TOKEN', problem: `HUBSPOT_TOKEN and HUBSPOT_TOKEN_FILE are both set: give the value or its file (${join(dir, 'hubspot-token')}), not both` },
      { variable: 'PLIVO_AUTH_TOKEN', problem: `PLIVO_AUTH_TOKEN_FILE: cannot read ${missing} (ENOENT)` },
      { variable: 'VIBER_AUTH_TOKEN', problem: `VIBER_AUTH_TOKEN_FILE: ${join(dir, 'empty')} is empty` },
    ]);
    expect(JSON.stringify(problems)).not.toMatch(/pat-na1/);
  });

  it('stops a worker with one error naming every problem: secret files, half-given pairs, LOG_LEVEL', () => {
    const start = () =>
      workerSettings({
        CHANNELSHIFT_CODEC_KEYS: CODEC_KEY,
        PLIVO_AUTH_ID: 'MAXXXXXXXXXXXXXXXXXX',
        PLIVO_AUTH_TOKEN_FILE: join(dir, 'no-such-token'),
        VONAGE_API_KEY: 'vonage-key-1234',
        DATABASE_URL_FILE: join(dir, 'no-such-url'),
        LOG_LEVEL: 'loud',
      });
    expect(start).toThrow(
      'worker settings: ' +
        `DATABASE_URL_FILE: cannot read ${join(dir, 'no-such-url')} (ENOENT); ` +
        `PLIVO_AUTH_TOKEN_FILE: cannot read ${join(dir, 'no-such-token')} (ENOENT); ` +
        'LOG_LEVEL must be one of TRACE, DEBUG, INFO, WARN, ERROR, not "loud"; ' +
        'VONAGE_API_SECRET is missing (VONAGE_API_KEY is set)',
    );
    // The token's file is named once, as what is wrong: not also as a missing PLIVO_AUTH_TOKEN.
    expect(start).not.toThrow(/PLIVO_AUTH_TOKEN is missing|MAXX|vonage-key/);
  });

  it('names a bad payload key and a wrong METRICS_PORT in the same one error, and keeps the keys out of the log', () => {
    expect(() => workerSettings({ CHANNELSHIFT_CODEC_KEYS: 'test:c2hvcnQ=', METRICS_PORT: 'loud' })).toThrow(
      /^worker settings: CHANNELSHIFT_CODEC_KEYS: .*; METRICS_PORT must be a port number \(0 for any free one\) or off, not "loud" \(see README/,
    );
    const settings = workerSettings({ CHANNELSHIFT_CODEC_KEYS: CODEC_KEY, METRICS_PORT: 'off' });
    expect(settings.metrics).toBeUndefined();
    expect(settings.secrets).toContain(CODEC_KEY.slice('test:'.length));
  });

  it('lets every command read DATABASE_URL from its file, and names the file when it cannot', () => {
    expect(databaseLocation({ DATABASE_URL_FILE: secretFile('url', 'postgres://u:pw@db/x\n') })).toEqual({ kind: 'postgres', url: 'postgres://u:pw@db/x' });
    expect(() => databaseLocation({ DATABASE_URL_FILE: join(dir, 'gone') })).toThrow(`DATABASE_URL_FILE: cannot read ${join(dir, 'gone')} (ENOENT)`);
  });
});
