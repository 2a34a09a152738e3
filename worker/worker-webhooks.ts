import type { Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import type { Database } from '../database/schema.ts';
import { inboundEventRecorder } from '../activities/opt-in/inbound-event-recorder.ts';
import { campaignNudge } from './campaign-nudge.ts';
import { crmNudge } from './crm-nudge.ts';
import { templateReviewSignal } from './template-review-signal.ts';
import type { CrmName } from '../connectors/crm-contact.ts';
import { startWebhookServer, type WebhookRoutes, type WebhookServer } from './webhook-server.ts';

export interface WorkerWebhooksOptions {
  db: Kysely<Database>;
  /** Wakes the campaigns a reply belongs to, on the worker's task queue. */
  client: Client;
  taskQueue: string;
  routes: WebhookRoutes;
  /** The CRMs the worker writes to: a consent or WhatsApp state change reaches them at once. */
  crms: CrmName[];
  port: number;
  host: string;
}

/**
 * The webhook receiver as a worker serves it: events recorded in the database, and their campaigns, the CRM live
 * sync and template approvals woken through Temporal.
 */
export function startWorkerWebhooks({ db, client, taskQueue, routes, crms, port, host }: WorkerWebhooksOptions): Promise<WebhookServer> {
  const events = inboundEventRecorder({ db, nudge: campaignNudge({ client, taskQueue, db }), crmChanged: crmNudge({ client, taskQueue, crms }) });
  return startWebhookServer({ db, ...routes, events, templateStatuses: templateReviewSignal({ db, client }), port, host });
}
