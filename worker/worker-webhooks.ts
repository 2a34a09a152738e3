import type { Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import type { Database } from '../database/schema.ts';
import { inboundEventRecorder } from '../activities/opt-in/inbound-event-recorder.ts';
import { campaignNudge } from './campaign-nudge.ts';
import { startWebhookServer, type WebhookRoutes, type WebhookServer } from './webhook-server.ts';

export interface WorkerWebhooksOptions {
  db: Kysely<Database>;
  /** Wakes the campaigns a reply belongs to, on the worker's task queue. */
  client: Client;
  taskQueue: string;
  routes: WebhookRoutes;
  port: number;
  host: string;
}

/** The webhook receiver as a worker serves it: events recorded in the database, and their campaigns woken through Temporal. */
export function startWorkerWebhooks({ db, client, taskQueue, routes, port, host }: WorkerWebhooksOptions): Promise<WebhookServer> {
  return startWebhookServer({ db, ...routes, events: inboundEventRecorder({ db, nudge: campaignNudge({ client, taskQueue, db }) }), port, host });
}
