import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDependencies } from '../dependencies.ts';
import type { MessageTemplateDefinition } from '../../connectors/whatsapp/message-template.ts';
import type { WhatsAppTemplatesClient } from '../../connectors/whatsapp/templates-client.ts';
import { recordTemplateReview, type TemplateKey, type TemplateReview } from './template-review.ts';

/**
 * Submits a stored template to Meta for review. Meta's own list is asked first: a retry whose first attempt was
 * created (its answer lost) or a template created earlier by hand is taken as it stands, never submitted twice.
 */
export function submitTemplateActivity({ db, whatsAppTemplates, clock }: Pick<ActivityDependencies, 'db' | 'whatsAppTemplates' | 'clock'>) {
  return async function submitTemplate(key: TemplateKey): Promise<TemplateReview> {
    const templates = configuredTemplates(whatsAppTemplates);
    const stored = await db
      .selectFrom('whatsapp_templates')
      .select('definition')
      .where('name', '=', key.name)
      .where('language', '=', key.language)
      .executeTakeFirst();
    if (!stored) {
      throw ApplicationFailure.nonRetryable(`template ${key.name} (${key.language}) is not stored: convert and save it with "channelshift templates submit"`, 'TemplateUnknown');
    }
    const existing = await templates.findTemplate(key.name, key.language);
    const answer = existing ?? (await templates.createTemplate(stored.definition as unknown as MessageTemplateDefinition));
    const review: TemplateReview = { status: answer.status, ...(existing?.rejectedReason ? { reason: existing.rejectedReason } : {}) };
    await db.updateTable('whatsapp_templates').set({ submitted_at: clock() }).where('name', '=', key.name).where('language', '=', key.language).where('submitted_at', 'is', null).execute();
    await recordTemplateReview(db, key, { ...review, templateId: answer.id }, clock());
    return review;
  };
}

/** Asks Meta where its review of a template stands: the approval workflow's fallback when no webhook came. */
export function checkTemplateStatusActivity({ db, whatsAppTemplates, clock }: Pick<ActivityDependencies, 'db' | 'whatsAppTemplates' | 'clock'>) {
  return async function checkTemplateStatus(key: TemplateKey): Promise<TemplateReview> {
    const found = await configuredTemplates(whatsAppTemplates).findTemplate(key.name, key.language);
    if (!found) return { status: 'DELETED', reason: 'Meta has no template by this name and language' };
    const review: TemplateReview = { status: found.status, ...(found.rejectedReason ? { reason: found.rejectedReason } : {}) };
    await recordTemplateReview(db, key, { ...review, templateId: found.id }, clock());
    return review;
  };
}

function configuredTemplates(client: WhatsAppTemplatesClient | undefined): WhatsAppTemplatesClient {
  if (client) return client;
  throw ApplicationFailure.nonRetryable('WhatsApp templates are not configured on this worker: set WHATSAPP_BUSINESS_ACCOUNT_ID (see README.md, "Configuration")', 'WhatsAppNotConfigured');
}
