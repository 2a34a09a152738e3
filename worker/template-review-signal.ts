import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import type { Database } from '../database/schema.ts';
import type { TemplateStatusUpdate } from '../connectors/whatsapp/cloud-webhook.ts';
import type { TemplateStatus } from '../connectors/whatsapp/message-template.ts';
import { recordTemplateReview, type TemplateReview } from '../activities/templates/template-review.ts';
import { templateApprovalWorkflowId, templateStatusSignal } from '../workflows/template-approval.ts';

const STATUSES: readonly string[] = ['PENDING', 'APPROVED', 'REJECTED', 'PAUSED', 'DISABLED', 'DELETED'];

/**
 * Meta's template decisions as the webhook receiver hears them: stored, and given to the template's approval
 * workflow, which then ends without waiting for its next poll. A template no workflow waits for (created by hand
 * in WhatsApp Manager) is only stored, when we have it.
 */
export function templateReviewSignal({ db, client, clock = () => new Date() }: { db: Kysely<Database>; client: Client; clock?: () => Date }) {
  return async (updates: TemplateStatusUpdate[]): Promise<void> => {
    for (const update of updates) {
      // Meta adds events (FLAGGED, REINSTATED, ...) that are no status of ours: the next poll reads the status they led to.
      if (!STATUSES.includes(update.event)) continue;
      const key = { name: update.name, language: update.language };
      const review: TemplateReview = { status: update.event as TemplateStatus, ...(update.reason && update.reason !== 'NONE' ? { reason: update.reason } : {}) };
      await recordTemplateReview(db, key, { ...review, templateId: update.templateId }, clock());
      try {
        await client.workflow.getHandle(templateApprovalWorkflowId(key)).signal(templateStatusSignal, review);
      } catch (error) {
        if (!(error instanceof WorkflowNotFoundError)) throw error;
      }
    }
  };
}
