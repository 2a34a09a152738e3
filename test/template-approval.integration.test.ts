import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkflowHandle } from '@temporalio/client';
import type { MessageTemplateDefinition } from '../connectors/whatsapp/message-template.ts';
import { convertScenarios } from '../scenarios/convert/convert-scenarios.ts';
import type { AcceptedConversion } from '../scenarios/convert/conversion.ts';
import type { Scenario } from '../scenarios/scenario.ts';
import { startApprovals, storeTemplates } from '../cli/template-submission.ts';
import type { templateApprovalWorkflow } from '../workflows/template-approval.ts';
import { openSandbox, type Sandbox } from './support/sandbox.ts';
import { channelshift, finished } from './support/worker-process.ts';
import { until } from './support/until.ts';

const TWO_DAYS_MS = 2 * 24 * 3_600_000;

const scenario = (id: string, text: string): Scenario => ({
  id,
  channel: 'sms',
  language: 'en',
  text,
  variables: { name: { field: 'contact.name', example: 'Maria' }, order_id: { field: 'order.id', example: 'A-1024' } },
  origin: `test ${id}`,
});

/** Meta turns down the promotion that poses as an order update; the rest pass its review. */
const decide = (definition: MessageTemplateDefinition) =>
  definition.name.startsWith('flash_') ? ({ status: 'REJECTED', reason: 'TAG_CONTENT_MISMATCH' } as const) : ({ status: 'APPROVED' } as const);

describe('WhatsApp template approval', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await openSandbox({ whatsApp: { templateReview: { delayMs: TWO_DAYS_MS, decide } } });
  });
  afterAll(async () => sandbox.close());

  const submit = async (scenarios: Scenario[], pollEvery?: string) => {
    const accepted = convertScenarios(scenarios).filter((c): c is AcceptedConversion => c.ok);
    expect(accepted).toHaveLength(scenarios.length);
    const { stored } = await storeTemplates(sandbox.db, accepted);
    return startApprovals(sandbox.client, sandbox.temporal.taskQueue, stored, pollEvery);
  };
  const statusOf = async (name: string) =>
    (await sandbox.db.selectFrom('whatsapp_templates').select(['status', 'reason']).where('name', '=', name).executeTakeFirstOrThrow());
  const running = async (handle: WorkflowHandle<typeof templateApprovalWorkflow>) => (await handle.describe()).status.name === 'RUNNING';

  it('waits two days of review with no worker up, and ends on the status webhook with Meta\'s decision and reason', async () => {
    const stopWorker = await sandbox.startWorker();
    const handles = await submit([
      scenario('order_dispatched', 'Hi {name}, your order {order_id} has left our warehouse and is on its way to you.'),
      scenario('flash_order_news', 'Hi {name}, news about your order {order_id}: today only every item is half price for you.'),
    ]);
    await until(async () => (await statusOf('order_dispatched')).status === 'PENDING' && (await statusOf('flash_order_news')).status === 'PENDING', 'both submitted');
    await stopWorker();

    // Two days pass at Meta with no process of ours up; its decisions arrive by webhook and are kept for the workflows.
    sandbox.emulators.whatsApp.advanceClock(TWO_DAYS_MS);
    await until(async () => (await statusOf('order_dispatched')).status === 'APPROVED', 'the approval webhook');
    expect(await statusOf('flash_order_news')).toEqual({ status: 'REJECTED', reason: 'TAG_CONTENT_MISMATCH' });
    expect(await Promise.all(handles.map(running))).toEqual([true, true]);

    await sandbox.startWorker();
    expect(await Promise.all(handles.map((h) => h.result()))).toEqual([{ status: 'APPROVED' }, { status: 'REJECTED', reason: 'TAG_CONTENT_MISMATCH' }]);

    const status = await finished(channelshift(['scenarios', 'status'], sandbox.processEnv));
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('order_dispatched (en): APPROVED');
    expect(status.stdout).toContain('flash_order_news (en): REJECTED, TAG_CONTENT_MISMATCH');
  });

  it('finds the decision by asking Meta when the status webhook never comes', async () => {
    sandbox.emulators.whatsApp.dropTemplateWebhooks(true);
    const [handle] = await submit([scenario('delivery_booked', 'Hi {name}, the delivery of order {order_id} is booked for tomorrow morning, thank you.')], '2 seconds');
    await until(async () => (await statusOf('delivery_booked')).status === 'PENDING', 'the submission');
    sandbox.emulators.whatsApp.advanceClock(TWO_DAYS_MS);
    expect(await handle!.result()).toEqual({ status: 'APPROVED' });
    expect((await statusOf('delivery_booked')).status).toBe('APPROVED');
  });
});
