import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET_VARIABLES } from '../worker/secret-environment.ts';
import { openSandbox, type Sandbox } from './support/sandbox.ts';
import { until } from './support/until.ts';
import { channelshift, finished } from './support/worker-process.ts';

/** The test process's environment without any setting a worker reads, so each case gives only its own. */
function bareEnv(settings: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^(DATABASE_URL|WHATSAPP_|HUBSPOT_|SALESFORCE_|VONAGE_|PLIVO_|VIBER_|LOG_LEVEL)/.test(name)) delete env[name];
  }
  return { ...env, ...settings };
}

describe('channelshift worker, its settings and its log', () => {
  it('does not start with half a credential pair: it names the missing variable, never the given value', async () => {
    const run = await finished(channelshift(['worker'], bareEnv({ PLIVO_AUTH_ID: 'MAODU5ZTBLNWQ0NZA4NZ', WHATSAPP_ACCESS_TOKEN: 'EAAGm0PX4ZCpsBA-wa-access' })));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('PLIVO_AUTH_TOKEN is missing (PLIVO_AUTH_ID is set)');
    expect(run.stderr).toContain('WHATSAPP_PHONE_NUMBER_ID is missing (WHATSAPP_ACCESS_TOKEN is set)');
    expect(run.stderr + run.stdout).not.toMatch(/MAODU5ZTBLNWQ0NZA4NZ|EAAGm0PX4ZCpsBA/);
  });

  it('does not start with a secret file it cannot read: it names the variable and the path', async () => {
    const nowhere = join(tmpdir(), 'channelshift-no-such-dir', 'plivo-auth-token');
    const run = await finished(
      channelshift(['worker'], bareEnv({ PLIVO_AUTH_ID: 'MAODU5ZTBLNWQ0NZA4NZ', PLIVO_AUTH_TOKEN_FILE: nowhere, VIBER_AUTH_TOKEN: '4a7f3c9e1b2d5f60-viber', VIBER_AUTH_TOKEN_FILE: nowhere })),
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`PLIVO_AUTH_TOKEN_FILE: cannot read ${nowhere} (ENOENT)`);
    expect(run.stderr).toContain(`VIBER_AUTH_TOKEN and VIBER_AUTH_TOKEN_FILE are both set`);
    expect(run.stderr).not.toContain('PLIVO_AUTH_TOKEN is missing');
    // One message names every problem.
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr + run.stdout).not.toMatch(/MAODU5ZTBLNWQ0NZA4NZ|4a7f3c9e1b2d5f60/);
  });

  describe('running', () => {
    let sandbox: Sandbox;
    beforeAll(async () => {
      sandbox = await openSandbox();
    });
    afterAll(async () => sandbox.close());

    it('reads every credential from its file and logs only JSON lines that hold none of them', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'channelshift-secret-files-'));
      const env = { ...sandbox.processEnv };
      const secrets: string[] = [];
      for (const name of SECRET_VARIABLES) {
        const value = env[name];
        if (!value) continue;
        secrets.push(value);
        writeFileSync(join(dir, name), `${value}\n`);
        delete env[name];
        env[`${name}_FILE`] = join(dir, name);
      }
      const codecKeys = readFileSync(env.CHANNELSHIFT_CODEC_KEYS_FILE!, 'utf8').match(/[A-Za-z0-9+/]{43}=/g) ?? [];
      expect(secrets.length).toBeGreaterThan(10);

      const worker = channelshift(['worker'], env);
      let stderr = '';
      worker.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const lines = () => stderr.split('\n').filter(Boolean);
      const webhooksLine = () => lines().find((line) => line.includes('Webhooks listening'));
      try {
        await until(() => webhooksLine() !== undefined, 'the worker to serve its webhooks');
        const { url } = JSON.parse(webhooksLine()!).fields as { url: string };
        // The Viber route checks each callback's signature with the token the worker read from its file.
        const users = [{ id: 'pttm25kSGUo1919sBORWyA==', name: 'Amira Haddad', country: 'AE', language: 'ar', phone: '+971501234567' }];
        const delivered = await sandbox.emulators.viber.deliverCallbacks(`${url}/webhooks/viber`, { users });
        expect(delivered.sent).toBeGreaterThan(0);
        expect(delivered.accepted).toBe(delivered.sent);
        await until(() => lines().some((line) => line.includes('"sdkComponent":"worker"')), "the SDK's own lines");
      } finally {
        worker.kill('SIGTERM');
        await once(worker, 'exit');
      }

      const entries = lines().map((line) => JSON.parse(line) as { time: string; level: string; message: string; fields?: Record<string, unknown> });
      expect(entries.find((entry) => entry.message === 'Worker started')).toMatchObject({ level: 'INFO', fields: { taskQueue: sandbox.temporal.taskQueue } });
      expect(entries.every((entry) => !Number.isNaN(Date.parse(entry.time)) && ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'].includes(entry.level))).toBe(true);
      for (const secret of [...secrets, ...codecKeys]) expect(stderr).not.toContain(secret);
    });
  });
});
