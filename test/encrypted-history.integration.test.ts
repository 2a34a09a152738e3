import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOrAttach } from '../cli/follow-migration.ts';
import { generateOptInAudience, type OptInAudience } from '../demo/opt-in-audience.ts';
import { DEFAULT_UI_ORIGINS, startCodecServer, type CodecServer } from '../privacy/codec-server.ts';
import { PayloadEncryptionCodec } from '../privacy/payload-codec.ts';
import { findOrInstallTemporalCli } from '../temporal/cli-install.ts';
import { migrationWorkflowId, type MigrationInput } from '../workflows/migration-input.ts';
import { migrationWorkflow } from '../workflows/migration.ts';
import { campaignWorkflowId } from '../workflows/opt-in-campaign-input.ts';
import { openSandbox, type Sandbox } from './support/sandbox.ts';
import { until } from './support/until.ts';

const run = promisify(execFile);

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

describe('the Temporal history of a migration with its opt-in campaign', () => {
  let sandbox: Sandbox;
  let audience: OptInAudience;
  let codecServer: CodecServer;
  let cliPath: string;
  beforeAll(async () => {
    // Markets no other test draws from: consent belongs to a number, across the suite's campaigns.
    audience = await generateOptInAudience(mkdtempSync(join(tmpdir(), 'encrypted-history-')), { sms: 200, viber: 100 }, { seed: 4242, maxDelayMs: 1000, markets: ['IT', 'NL', 'SE', 'MX', 'ZA', 'KE'] });
    sandbox = await openSandbox({
      histories: { vonage: [], plivo: [], viber: audience.viberUsers },
      customers: audience.customers,
      sendRates: { vonageSms: 500, plivoSms: 500, whatsApp: 500 },
      whatsAppMessagingLimit: 10_000,
    });
    codecServer = await startCodecServer({ codec: new PayloadEncryptionCodec(sandbox.codecKeys), port: 0, host: '127.0.0.1', uiOrigins: DEFAULT_UI_ORIGINS });
    cliPath = await findOrInstallTemporalCli(() => {});
  }, 120_000);
  afterAll(async () => {
    await codecServer?.close();
    await sandbox?.close();
  });

  /** `temporal workflow show --output json` of one run, as anyone with access to the Temporal server could see it. */
  async function show(workflowId: string, runId: string, ...extra: string[]): Promise<string> {
    const { stdout } = await run(
      cliPath,
      ['workflow', 'show', '--workflow-id', workflowId, '--run-id', runId, '--output', 'json', '--address', sandbox.temporal.address, '--namespace', sandbox.temporal.namespace, ...extra],
      { maxBuffer: 512 * 1024 * 1024 },
    );
    return stdout;
  }

  it('shows no number, name, message or failure reason to a reader without the key, and the codec server decodes it', async () => {
    const stop = await sandbox.startWorker();
    const input: MigrationInput = {
      migrationId: `encrypted-${Date.now().toString(36)}`,
      sources: audience.sources,
      optIn: { window: '20s', reminderAfter: '8s', quietHours: null, activationTimeout: '15s', unconfirmedResendAfter: '30s' },
    };
    const summary = await (await startOrAttach(sandbox.client, sandbox.temporal.taskQueue, input)).result();
    expect(summary.optIn!.notices).toBe(audience.numbers.length);

    // "Even by mistake": a run started by hand with a customer's name and number in its input (a file named after
    // them), its memo and a signal; it fails with a reason that quotes the file name.
    const person = await sandbox.db.selectFrom('contacts').select(['e164', 'name']).where('migration_id', '=', input.migrationId).where('name', 'is not', null).executeTakeFirstOrThrow();
    const note = `call ${person.name} on ${person.e164}`;
    const mistake: MigrationInput = {
      migrationId: `${input.migrationId}-by-hand`,
      sources: [{ kind: 'csv', name: 'typed-by-hand', path: join(sandbox.dataDir, `${person.name} ${person.e164}.csv`), columns: { phone: 'phone' } }],
    };
    const mistaken = await sandbox.client.workflow.signalWithStart(migrationWorkflow, {
      workflowId: migrationWorkflowId(mistake.migrationId),
      taskQueue: sandbox.temporal.taskQueue,
      args: [mistake],
      memo: { note },
      signal: 'note',
      signalArgs: [note],
    });
    // With the key, the failure reads as it was written.
    await expect(mistaken.result()).rejects.toMatchObject({ cause: { message: expect.stringContaining(`${person.e164}.csv): the file does not exist`) } });
    await stop();

    const contacts = await sandbox.db.selectFrom('contacts').select(['e164', 'name']).where('migration_id', '=', input.migrationId).execute();
    const names = [...new Set(contacts.flatMap((c) => (c.name ? [c.name] : [])))];
    const inbound = await sandbox.db.selectFrom('inbound_messages').select('text').where('campaign_id', '=', input.migrationId).execute();
    const { vonageMessaging, plivoMessaging, viber } = sandbox.emulators;
    const outbound = [...vonageMessaging.sentMessages(), ...plivoMessaging.sentMessages(), ...viber.sentMessages()].map((m) => m.text);
    expect(contacts).toHaveLength(audience.numbers.length);
    expect(inbound.length).toBeGreaterThan(audience.numbers.length / 2);

    // Every run on the sandbox's task queue: the migration, its extractions, the campaign, the mistake and its extraction.
    const expected = [
      migrationWorkflowId(input.migrationId),
      ...input.sources.map((source) => `${migrationWorkflowId(input.migrationId)}-source-${source.name}`),
      campaignWorkflowId(input.migrationId),
      migrationWorkflowId(mistake.migrationId),
      `${migrationWorkflowId(mistake.migrationId)}-source-typed-by-hand`,
    ];
    let runs: { workflowId: string; runId: string }[] = [];
    await until(async () => {
      runs = [];
      for await (const execution of sandbox.client.workflow.list({ query: `TaskQueue = "${sandbox.temporal.taskQueue}"` })) runs.push(execution);
      return expected.every((id) => runs.some((r) => r.workflowId === id));
    }, 'every run in the visibility store');

    const histories = new Map<string, string>();
    for (const r of runs) histories.set(r.runId, await show(r.workflowId, r.runId, '--no-json-shorthand-payloads'));
    const failureMessages: string[] = [];
    for (const [runId, raw] of histories) {
      const run = `${runs.find((r) => r.runId === runId)!.workflowId} (run ${runId})`;
      const found = walk(JSON.parse(raw));
      failureMessages.push(...found.failureMessages);
      // Every run has an input at least; not one payload of any of them is in clear.
      expect([...new Set(found.payloads.map((p) => text(p.metadata?.encoding)))], `payload encodings in ${run}`).toEqual(['binary/encrypted']);

      // What a reader without the key gets: the history as shown, and the payloads it can decode (search attributes only).
      const inClear = [...found.payloads, ...found.indexed].filter((p) => text(p.metadata?.encoding) !== 'binary/encrypted').map((p) => text(p.data));
      const shown = [raw, ...inClear].join('\n');
      expect(contacts.filter((c) => shown.includes(c.e164) || shown.includes(c.e164.slice(1))).map((c) => c.e164), `numbers in ${run}`).toEqual([]);
      expect(names.filter((name) => shown.includes(name)), `names in ${run}`).toEqual([]);
      // Short texts ("YES") could turn up inside base64 by chance: they are looked for outside the ciphertext.
      const readable = [raw.replaceAll(/"data":\s*"[A-Za-z0-9+/=]*"/g, '"data": ""'), ...inClear].join('\n');
      expect([...new Set([...inbound.map((m) => m.text), ...outbound])].filter((t) => t.length > 3 && readable.includes(t)), `message texts in ${run}`).toEqual([]);
      expect(readable).not.toContain('the file does not exist');
    }
    // The mistake's failure went through the run, the extraction and the activity: each message encoded away.
    expect(failureMessages.length).toBeGreaterThanOrEqual(3);
    expect(new Set(failureMessages)).toEqual(new Set(['Encoded failure']));

    // The codec server, as the UI calls it, reads the migration's input back.
    const migrationRun = runs.find((r) => r.workflowId === migrationWorkflowId(input.migrationId))!;
    const started = JSON.parse(histories.get(migrationRun.runId)!) as {
      events: { workflowExecutionStartedEventAttributes?: { input: { payloads: JsonPayload[] } } }[];
    };
    const startedInput = started.events[0]!.workflowExecutionStartedEventAttributes!.input.payloads;
    const decoded = await fetch(`${codecServer.url}/decode`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Namespace': sandbox.temporal.namespace, Origin: DEFAULT_UI_ORIGINS[0]! },
      body: JSON.stringify({ payloads: startedInput }),
    });
    expect(decoded.status).toBe(200);
    expect(decoded.headers.get('access-control-allow-origin')).toBe(DEFAULT_UI_ORIGINS[0]);
    const [payload] = ((await decoded.json()) as { payloads: JsonPayload[] }).payloads;
    expect(text(payload!.metadata!.encoding)).toBe('json/plain');
    expect(JSON.parse(text(payload!.data))).toEqual(input);

    // So does the Temporal CLI pointed at it, as a person would: the mistake's memo, signal and failure in clear.
    const mistakeRun = runs.find((r) => r.workflowId === migrationWorkflowId(mistake.migrationId))!;
    const clear = walk(JSON.parse(await show(mistakeRun.workflowId, mistakeRun.runId, '--codec-endpoint', codecServer.url))).payloads;
    expect(new Set(clear.map((p) => text(p.metadata?.encoding)))).toEqual(new Set(['json/plain']));
    const clearText = clear.map((p) => text(p.data)).join('\n');
    expect(clearText).toContain(JSON.stringify(note));
    expect(clearText).toContain(`${person.e164}.csv): the file does not exist`);

    // The UI's preflight from the browser.
    const preflight = await fetch(`${codecServer.url}/decode`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://localhost:8233', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-namespace' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
    expect(preflight.headers.get('access-control-allow-methods')).toBe('POST, OPTIONS');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('Content-Type, X-Namespace, Authorization');
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
  }, 300_000);
});

function text(base64: string | undefined): string {
  return Buffer.from(base64 ?? '', 'base64').toString('utf8');
}

/** The payloads in a history, its search attributes' (indexed by the server, so never encoded) apart, and its failures' messages. */
function walk(value: unknown, key = '', found = { payloads: [] as JsonPayload[], indexed: [] as JsonPayload[], failureMessages: [] as string[] }, indexed = false) {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, key, found, indexed);
  } else if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const inSearchAttributes = indexed || key === 'searchAttributes';
    if (record.metadata && typeof record.metadata === 'object' && 'encoding' in record.metadata) (inSearchAttributes ? found.indexed : found.payloads).push(record as JsonPayload);
    else if (typeof record.message === 'string' && FAILURE_INFOS.some((info) => info in record)) found.failureMessages.push(record.message);
    for (const [k, v] of Object.entries(record)) walk(v, k, found, inSearchAttributes);
  }
  return found;
}

// The failures the SDK writes (the server's own, timeouts and terminations, hold no data).
const FAILURE_INFOS = ['applicationFailureInfo', 'activityFailureInfo', 'childWorkflowExecutionFailureInfo', 'encodedAttributes'];
