import { condition, continueAsNew, defineSignal, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { MigrationActivities } from '../activities/index.ts';
import { reviewDecided, type TemplateKey, type TemplateReview } from '../activities/templates/template-review.ts';

/**
 * One template through Meta's review. Start it from the Temporal UI with `{"name":"order_shipped","language":"en"}`
 * once `channelshift templates submit` has stored the template.
 */
export interface TemplateApprovalInput extends TemplateKey {
  /** How long to wait for the status webhook before asking Meta. Default one hour. */
  pollEvery?: string;
}

/** Meta's `message_template_status_update` for this template, as the webhook receiver heard it. */
export const templateStatusSignal = defineSignal<[TemplateReview]>('templateStatus');

const { submitTemplate, checkTemplateStatus } = proxyActivities<MigrationActivities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '10m' },
});

const DEFAULT_POLL_EVERY = '1 hour';

/**
 * Submits the template and waits, for as long as Meta's review takes (a day, three), on a durable timer: no worker
 * needs to stay up meanwhile. The status webhook wakes it at once; without one, it asks Meta every `pollEvery`.
 * Ends with Meta's decision, and for a rejection Meta's reason.
 */
export async function templateApprovalWorkflow(input: TemplateApprovalInput, submitted = false): Promise<TemplateReview> {
  let heard: TemplateReview | undefined;
  setHandler(templateStatusSignal, (review) => {
    heard = review;
  });
  let review = submitted ? await checkTemplateStatus(input) : await submitTemplate(input);
  while (!reviewDecided(review.status)) {
    if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof templateApprovalWorkflow>(input, true);
    const woken = await condition(() => heard !== undefined, input.pollEvery ?? DEFAULT_POLL_EVERY);
    review = woken ? heard! : await checkTemplateStatus(input);
    heard = undefined;
  }
  return review;
}

export const templateApprovalWorkflowId = (key: TemplateKey) => `whatsapp-template-${key.name}-${key.language}`;
