import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { channelshift, finished } from '../../test/support/worker-process.ts';

const example = (name: string) => fileURLToPath(new URL(`../examples/flows/${name}`, import.meta.url));
const run = (...args: string[]) => finished(channelshift(['sandbox', ...args], process.env));

describe('channelshift sandbox run', () => {
  it('exits 0 when every step passes', async () => {
    const result = await run('run', example('support-bot.viber.json'), '--script', example('support-bot.passing.json'));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('step 5  PASS  "My parcel arrived damaged" → handover:');
    expect(result.stdout).toContain('6 steps: 6 passed, 0 failed');
  });

  it('exits 1 and names the failing step, as JSON too', async () => {
    const result = await run('run', example('support-bot.viber.json'), '--script', example('support-bot.failing.json'), '--json');
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.steps[3]).toMatchObject({ step: 3, pass: false, failures: [expect.stringContaining('expected a button message, got a list message')] });
    expect(result.stderr).toContain('channelshift sandbox: step 3 failed');
  });

  it('exits 1 with every problem of a flow that cannot be converted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'channelshift-sandbox-'));
    const flow = join(dir, 'flow.json');
    const targets = Array.from({ length: 11 }, (_, index) => ({ intent: `choice_${index + 1}`, response: 'An agent will reply.', handover: true }));
    const menu = { intent: 'menu', response: 'Pick one', buttons: targets.map(({ intent }) => ({ text: intent, next: intent })) };
    writeFileSync(flow, JSON.stringify({ flow: 'f', language: 'en', start: 'menu', intents: [menu, ...targets] }));
    const result = await run('run', flow, '--script', example('support-bot.passing.json'));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('intent "menu", buttons: 11 reply buttons; a WhatsApp list holds at most 10 rows: split the menu');
  });

  it('exits 2 with the usage when the command line is incomplete', async () => {
    const result = await run('run', example('support-bot.viber.json'));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('sandbox run needs the FLOW file and --script CONVERSATION');
  });
});
