import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Kysely } from 'kysely';
import type { Database } from '../database/schema.ts';
import { viberWebhookHandler } from '../connectors/viber/webhook-handler.ts';

export interface WebhookServerOptions {
  db: Kysely<Database>;
  /** The Viber bot whose callbacks are received, and its token, which signs them. Without it the Viber route is not served. */
  viber?: { bot: string; authToken: string };
  port: number;
  host: string;
  clock?: () => Date;
}

export interface WebhookServer {
  /** Where vendors reach it, e.g. `http://127.0.0.1:8080`; the Viber callbacks go to `${url}/webhooks/viber`. */
  url: string;
  close(): Promise<void>;
}

type Route = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

/** The vendors' callbacks into the product, started with the worker: each route checks its vendor's signature. */
export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const routes = new Map<string, Route>();
  if (options.viber) routes.set('/webhooks/viber', viberWebhookHandler({ db: options.db, ...options.viber, clock: options.clock }));
  const server = createServer((request, response) => {
    const route = request.method === 'POST' ? routes.get(new URL(request.url ?? '/', 'http://webhooks').pathname) : undefined;
    if (!route) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('no such webhook\n');
      return;
    }
    route(request, response).catch(() => {
      // The vendor retries a callback that was not answered 200; nothing was stored, so nothing is lost.
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = options.host === '0.0.0.0' ? '127.0.0.1' : options.host;
  return {
    url: `http://${shownHost}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
