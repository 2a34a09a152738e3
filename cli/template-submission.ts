import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../database/schema.ts';
import type { AcceptedConversion } from '../scenarios/convert/conversion.ts';
import type { TemplateKey, TemplateReview } from '../activities/templates/template-review.ts';
import { templateApprovalWorkflow, templateApprovalWorkflowId } from '../workflows/template-approval.ts';

/**
 * Stores converted templates for the approval workflow to submit. A template already submitted keeps what Meta
 * has: Meta takes no second template by the same name and language, so a change needs a new name.
 */
export async function storeTemplates(db: Kysely<Database>, accepted: readonly AcceptedConversion[]): Promise<{ stored: TemplateKey[]; submittedBefore: (TemplateKey & { status: string })[] }> {
  const stored: TemplateKey[] = [];
  const submittedBefore: (TemplateKey & { status: string })[] = [];
  for (const conversion of accepted) {
    const key = { name: conversion.template.name, language: conversion.template.language };
    const written = await db
      .insertInto('whatsapp_templates')
      .values({ ...key, definition: JSON.stringify(conversion.template), variables: JSON.stringify(conversion.variables), origin: conversion.origin, status: 'DRAFT' })
      .onConflict((oc) =>
        oc
          .columns(['name', 'language'])
          .doUpdateSet({ definition: (eb) => eb.ref('excluded.definition'), variables: (eb) => eb.ref('excluded.variables'), origin: (eb) => eb.ref('excluded.origin'), updated_at: sql`now()` })
          .where('whatsapp_templates.status', '=', 'DRAFT'),
      )
      .executeTakeFirst();
    if (written.numInsertedOrUpdatedRows === 0n) {
      const { status } = await db.selectFrom('whatsapp_templates').select('status').where('name', '=', key.name).where('language', '=', key.language).executeTakeFirstOrThrow();
      submittedBefore.push({ ...key, status });
    } else stored.push(key);
  }
  return { stored, submittedBefore };
}

/** Starts each template's approval workflow, or finds the one already waiting. */
export async function startApprovals(client: Client, taskQueue: string, keys: readonly TemplateKey[], pollEvery?: string): Promise<WorkflowHandle<typeof templateApprovalWorkflow>[]> {
  return Promise.all(
    keys.map(async (key) => {
      const workflowId = templateApprovalWorkflowId(key);
      try {
        return await client.workflow.start(templateApprovalWorkflow, { workflowId, taskQueue, args: [{ ...key, ...(pollEvery ? { pollEvery } : {}) }] });
      } catch (error) {
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
        return client.workflow.getHandle<typeof templateApprovalWorkflow>(workflowId);
      }
    }),
  );
}

export function describeReview(key: TemplateKey, review: TemplateReview): string {
  return `${key.name} (${key.language}): ${review.status}${review.reason ? `, ${review.reason}` : ''}`;
}
