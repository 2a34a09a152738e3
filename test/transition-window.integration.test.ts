import { randomUUID } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScheduleOverlapPolicy, type ScheduleHandle } from '@temporalio/client';
import { customerBaseColumns, writeCustomerBase } from '../demo/customer-base.ts';
import { UNIQUE_ID_PROPERTY } from '../connectors/hubspot/contact-mapping.ts';
import { createTransitionSchedule } from '../cli/transition-schedule.ts';
import { startOrAttach } from '../cli/follow-migration.ts';
import { webhookPaths } from '../worker/webhook-server.ts';
import type { MigrationInput } from '../workflows/migration-input.ts';
import type { TransitionRun } from '../workflows/transition-sync.ts';
import { openSandbox, type Sandbox } from './support/sandbox.ts';
import { signedVonageReply } from './support/vonage-reply.ts';
import { until } from './support/until.ts';

describe('the transition window', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await openSandbox();
    await sandbox.startWorker();
  });
  afterAll(async () => sandbox.close());

  const hubspotRecord = (e164: string) => sandbox.hubspot.records().find((r) => r.properties[UNIQUE_ID_PROPERTY] === e164);

  /** The runs a schedule has started so far, each awaited to its end, oldest first. */
  async function finishedRuns(schedule: ScheduleHandle): Promise<{ run: TransitionRun; startedAt: Date; closedAt: Date }[]> {
    const { info } = await schedule.describe();
    return Promise.all(
      info.recentActions.map(async (action) => {
        const handle = sandbox.client.workflow.getHandle(action.action.workflow.workflowId, action.action.workflow.firstExecutionRunId);
        const run = (await handle.result()) as TransitionRun;
        const { startTime, closeTime } = await handle.describe();
        return { run, startedAt: startTime, closedAt: closeTime! };
      }),
    );
  }

  it('runs incremental syncs on the schedule, backfills a stretch of the window in order, and sends a yes by SMS to the CRM before the next run', async () => {
    // A seed of its own: no other test's customers share these numbers.
    const migrationId = `transition-${randomUUID().slice(0, 8)}`;
    const path = join(sandbox.dataDir, `${migrationId}.csv`);
    const first = await writeCustomerBase(path, 600, 7);
    const input: MigrationInput = { migrationId, sources: [{ kind: 'csv', name: 'customers', path, columns: customerBaseColumns }] };
    await (await startOrAttach(sandbox.client, sandbox.temporal.taskQueue, input)).result();
    expect(new Set(sandbox.hubspot.records().map((r) => r.properties[UNIQUE_ID_PROPERTY]))).toEqual(first.numbers);

    // New customers arrive in the export during the window.
    const later = await writeCustomerBase(join(sandbox.dataDir, `${migrationId}-later.csv`), 200, 8);
    appendFileSync(path, readFileSync(join(sandbox.dataDir, `${migrationId}-later.csv`), 'utf8').split('\n').slice(1).join('\n'));
    const now = Date.now();
    const schedule = await createTransitionSchedule(sandbox.client, sandbox.temporal.taskQueue, {
      scheduleId: `${migrationId}-window`,
      every: '1 hour',
      start: new Date(now - 3 * 3_600_000),
      end: new Date(now + 24 * 3_600_000),
      migration: input,
    });
    try {
      await schedule.trigger();
      await until(async () => (await finishedRuns(schedule)).length === 1, 'the triggered run');
      const [triggered] = await finishedRuns(schedule);
      expect(triggered!.run).toMatchObject({ ran: true, summary: { stage: 'done' } });
      const everyone = new Set([...first.numbers, ...later.numbers]);
      expect(new Set(sandbox.hubspot.records().map((r) => r.properties[UNIQUE_ID_PROPERTY]))).toEqual(everyone);
      // Only the new customers were written: nobody the new rows leave as they were is written twice.
      const untouched = sandbox.hubspot.records().filter((r) => !later.numbers.has(r.properties[UNIQUE_ID_PROPERTY]!));
      expect(untouched.length).toBeGreaterThan(400);
      expect(untouched.filter((r) => sandbox.hubspot.writesPerRecord().get(r.id) !== 1)).toEqual([]);

      // A customer says yes by SMS; the next scheduled run is most of an hour away.
      const customer = [...first.numbers][0]!;
      expect(hubspotRecord(customer)?.properties.whatsapp_consent).toBe('unknown');
      const { signatureSecret, signatureMethod } = sandbox.emulators.vonageMessaging;
      const answer = await fetch(sandbox.webhooks.url + webhookPaths.vonageInbound, {
        method: 'POST',
        body: signedVonageReply(customer.slice(1), 'YES', signatureSecret, signatureMethod),
      });
      expect(answer.status).toBe(204);
      await until(() => hubspotRecord(customer)?.properties.whatsapp_consent === 'granted', 'the consent in HubSpot', 30_000);
      expect(hubspotRecord(customer)?.properties.whatsapp_consent_date).toBeDefined();
      expect((await schedule.describe()).info.numActionsTaken).toBe(1);

      // Three hours of the window the schedule missed, run again in order: each run finds nothing new.
      await schedule.backfill({ start: new Date(now - 3 * 3_600_000), end: new Date(now), overlap: ScheduleOverlapPolicy.BUFFER_ALL });
      await until(async () => (await finishedRuns(schedule)).length === 4, 'the backfilled runs', 120_000);
      const runs = await finishedRuns(schedule);
      for (const [earlier, next] of runs.slice(0, -1).map((run, i) => [run, runs[i + 1]!] as const)) {
        expect(next.startedAt.getTime()).toBeGreaterThanOrEqual(earlier.closedAt.getTime());
      }
      for (const { run } of runs.slice(1)) expect(run).toMatchObject({ ran: true, summary: { synced: 0, verified: 0 } });
      expect(sandbox.hubspot.records()).toHaveLength(everyone.size);
    } finally {
      await schedule.delete();
    }
  });
});
