import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOrAttach } from '../cli/follow-migration.ts';
import { UNIQUE_ID_PROPERTY } from '../connectors/hubspot/contact-mapping.ts';
import { openSandbox, type Sandbox } from './support/sandbox.ts';
import { contactsOf, customerBaseMigration } from './support/migration-run.ts';
import { channelshift } from './support/worker-process.ts';
import { until } from './support/until.ts';

describe('a worker killed in the middle of verification', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    // Slow answers leave time to stop the worker between batches.
    sandbox = await openSandbox({ contactsCheck: { latencyMs: 300 } });
  });
  afterAll(async () => sandbox.close());

  it('is replaced by a new worker that resumes at the first unfinished batch: every contact verified once, no CRM duplicate', async () => {
    // One batch at a time, so when a request is held at the emulator every earlier batch is committed.
    const { input } = await customerBaseMigration(sandbox, 6000, { concurrency: 1, verify: { contactsCheck: true } });
    const answered = () => [...sandbox.contactsCheck.checksPerNumber().values()].reduce((sum, n) => sum + n, 0);

    const firstWorker = channelshift(['worker'], sandbox.processEnv);
    const handle = await startOrAttach(sandbox.client, sandbox.temporal.taskQueue, input);
    await until(() => answered() >= 2000, 'two verified batches');
    sandbox.contactsCheck.hold();
    await until(() => sandbox.contactsCheck.heldRequests() > 0, 'a batch in flight');
    firstWorker.kill('SIGKILL');
    await once(firstWorker, 'exit');
    // The dead worker's request never got its answer: that batch is still unverified.
    await until(() => sandbox.contactsCheck.heldRequests() === 0, 'the killed request to drop');
    sandbox.contactsCheck.release();

    const secondWorker = channelshift(['worker'], sandbox.processEnv);
    try {
      const summary = await handle.result();
      const contacts = await contactsOf(sandbox, input.migrationId);
      expect(summary.verified).toBe(contacts.length);
      expect(summary.synced).toBe(contacts.length);
      expect(contacts.every((c) => c.reachability !== null && c.crm_id !== null)).toBe(true);
      expect(sandbox.contactsCheck.checksPerNumber().size).toBe(contacts.length);
      expect([...sandbox.contactsCheck.checksPerNumber().values()].every((checks) => checks === 1)).toBe(true);

      const records = sandbox.hubspot.records();
      const numbers = records.map((r) => r.properties[UNIQUE_ID_PROPERTY]);
      expect(new Set(numbers).size).toBe(records.length);
      expect(records).toHaveLength(contacts.length);
    } finally {
      secondWorker.kill('SIGTERM');
      await once(secondWorker, 'exit');
    }
  });
});
