import { Agent, request } from 'node:http';

/** How many webhooks an emulator has in flight to one receiver at most: a vendor's dispatcher keeps a bounded set of connections to an endpoint. */
export const WEBHOOK_CONNECTIONS = 64;

export interface WebhookSender {
  /** The answer's HTTP status, or 0 when none came (refused, reset, no answer within the timeout, or the sender closed). */
  post(url: string, request: { method?: 'POST' | 'GET'; headers: Record<string, string>; body?: string }): Promise<number>;
  /** Ends the kept-alive connections and whatever is still in flight. */
  close(): void;
}

/**
 * How the emulators send their webhooks: over a bounded set of kept-alive connections, the rest waiting their turn in the
 * emulator as they would in the vendor's queue, and a request that gets no answer within `timeoutMs` of going out
 * counts as failed. A vendor opens no connection per event: one that did would bury a busy receiver in handshakes.
 */
export function emulatorWebhookSender({ timeoutMs, connections = WEBHOOK_CONNECTIONS }: { timeoutMs?: number; connections?: number } = {}): WebhookSender {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  return {
    post: (url, { method = 'POST', headers, body }) =>
      new Promise<number>((resolve) => {
        const outgoing = request(url, { method, agent, headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) } });
        // Counted from the moment the request has a connection: the wait for one is the vendor's own queue.
        if (timeoutMs !== undefined) outgoing.setTimeout(timeoutMs, () => outgoing.destroy());
        outgoing.on('response', (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
          response.on('error', () => resolve(0));
        });
        outgoing.on('error', () => resolve(0));
        outgoing.end(body);
      }),
    close: () => agent.destroy(),
  };
}
