import type { Kysely } from 'kysely';
import type { Database } from '../../database/schema.ts';
import type { TemplateStatus } from '../../connectors/whatsapp/message-template.ts';

/** Where Meta's review of one template stands: what the approval workflow waits on and reports. */
export interface TemplateReview {
  status: TemplateStatus;
  /** Meta's reason for a rejection (`INVALID_FORMAT`, `TAG_CONTENT_MISMATCH`, ...); none while pending or approved. */
  reason?: string;
}

/** One template, as the workflow and the status webhook name it. */
export interface TemplateKey {
  name: string;
  /** Meta's language code, like `en_US`. */
  language: string;
}

/** Meta's review is over: the template can be sent, or it never will be without a new submission. */
export const reviewDecided = (status: TemplateStatus) => status !== 'PENDING';

/**
 * Stores what Meta said of a template, whichever way it came (the creation answer, a status webhook, a poll). A
 * late "pending" (a poll answered before the decision) never undoes a decision.
 */
export async function recordTemplateReview(db: Kysely<Database>, key: TemplateKey, review: TemplateReview & { templateId?: string }, at: Date): Promise<void> {
  await db
    .updateTable('whatsapp_templates')
    .set((eb) => ({
      status: review.status,
      reason: review.reason ?? null,
      template_id: eb.fn.coalesce(eb.val(review.templateId ?? null), eb.ref('template_id')),
      decided_at: reviewDecided(review.status) ? at : null,
      updated_at: at,
    }))
    .where('name', '=', key.name)
    .where('language', '=', key.language)
    .where((w) => (reviewDecided(review.status) ? w.lit(true) : w('status', 'in', ['DRAFT', 'PENDING'])))
    .execute();
}
