import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Kysely } from 'kysely';
import { listenOnLoopback } from '../connectors/loopback-server.ts';
import type { Database } from '../database/schema.ts';
import type { InboundEvents } from '../activities/opt-in/inbound-events.ts';
import { inboundEventRecorder } from '../activities/opt-in/inbound-event-recorder.ts';
import { viberWebhookHandler } from '../connectors/viber/webhook-handler.ts';
import { vonageDeliveryReceiptRoute, vonageInboundSmsRoute } from '../connectors/vonage/webhook-routes.ts';
import type { VonageSignatureMethod } from '../connectors/vonage/webhook-signature.ts';
import { plivoInboundMessageRoute, plivoStatusRoute } from '../connectors/plivo/webhook-routes.ts';
import { plivoNonceLedger } from '../connectors/plivo/signature-nonces.ts';
import { whatsAppWebhookRoute } from '../connectors/whatsapp/webhook-route.ts';
import type { TemplateStatusUpdate } from '../connectors/whatsapp/cloud-webhook.ts';

/** Each vendor's route is served when the worker has the secret that signs its webhooks. */
export interface WebhookRoutes {
  /** The Viber bot whose callbacks are received (its subscribers are kept under `bot`), and its token. */
  viber?: { bot: string; authToken: string };
  vonage?: { signatureSecret: string; signatureMethod: VonageSignatureMethod };
  /** `acceptSignatureV2`: callbacks signed with V2 alone are accepted, each nonce once (remembered in the database). */
  plivo?: { authToken: string; publicUrl?: string; acceptSignatureV2?: boolean };
  whatsApp?: { appSecret: string; verifyToken: string };
}

export interface WebhookServerOptions extends WebhookRoutes {
  db: Kysely<Database>;
  /**
   * Where replies, receipts and statuses go once their signature is checked. Default: recorded in the database
   * without waking campaigns (for a receiver of source callbacks only; a worker passes one that signals them).
   */
  events?: InboundEvents;
  /** Where Meta's template decisions go: a worker's wake the approval workflows. Default: acknowledged, not kept. */
  templateStatuses?: (updates: TemplateStatusUpdate[]) => Promise<void>;
  port: number;
  host: string;
  clock?: () => Date;
}

export interface WebhookServer {
  /** Where vendors reach it, e.g. `http://127.0.0.1:8080`; each vendor's route is a path under it. */
  url: string;
  /** The paths served, for the start-up line. */
  paths: string[];
  close(): Promise<void>;
}

type Route = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

export const webhookPaths = {
  viber: '/webhooks/viber',
  vonageInbound: '/webhooks/vonage/inbound',
  vonageReceipt: '/webhooks/vonage/delivery-receipt',
  plivoInbound: '/webhooks/plivo/inbound',
  plivoStatus: '/webhooks/plivo/status',
  whatsApp: '/webhooks/whatsapp',
} as const;

/** The vendors' callbacks into the product, started with the worker: each route checks its vendor's signature on the raw body. */
export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const { db, clock } = options;
  const events = options.events ?? inboundEventRecorder({ db, nudge: async () => {} });
  const routes = new Map<string, Route>();
  if (options.viber) routes.set(webhookPaths.viber, viberWebhookHandler({ db, ...options.viber, events, clock }));
  if (options.vonage) {
    routes.set(webhookPaths.vonageInbound, vonageInboundSmsRoute({ ...options.vonage, events, clock }));
    routes.set(webhookPaths.vonageReceipt, vonageDeliveryReceiptRoute({ ...options.vonage, events, clock }));
  }
  if (options.plivo) {
    const { acceptSignatureV2, ...plivo } = options.plivo;
    const signatureV2 = acceptSignatureV2 ? { firstUse: plivoNonceLedger(db) } : undefined;
    routes.set(webhookPaths.plivoInbound, plivoInboundMessageRoute({ ...plivo, events, clock, signatureV2 }));
    routes.set(webhookPaths.plivoStatus, plivoStatusRoute({ ...plivo, events, clock, signatureV2 }));
  }
  if (options.whatsApp) routes.set(webhookPaths.whatsApp, whatsAppWebhookRoute({ ...options.whatsApp, events, templateStatuses: options.templateStatuses }));
  const inFlight = new Set<Promise<void>>();
  let closing = false;
  const server = createServer((request, response) => {
    if (closing) {
      // A busy connection can still bring a request once closing began: it is refused (or cut off with its
      // connection) untouched, and its vendor sends it again.
      response.writeHead(503, { connection: 'close' }).end();
      return;
    }
    const route = routes.get(new URL(request.url ?? '/', 'http://webhooks').pathname);
    if (!route) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('no such webhook\n');
      return;
    }
    const handled = route(request, response).catch(() => {
      // The vendor retries a callback that was not answered 200; nothing was stored, so nothing is lost.
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
    inFlight.add(handled);
    void handled.finally(() => inFlight.delete(handled));
  });
  // Its own close below: it lets the callbacks under way finish first.
  const { url } = await listenOnLoopback(server, options.port, options.host);
  return {
    url,
    paths: [...routes.keys()],
    async close() {
      closing = true;
      const closed = new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
      server.closeIdleConnections();
      // Callbacks being recorded finish first, while the database and Temporal are still open, and get their answer.
      await Promise.all(inFlight);
      server.closeAllConnections();
      await closed;
    },
  };
}
