import diagnosticsChannel from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { Counter, type Registry } from 'prom-client';

/** What undici (global fetch) publishes of a request: its origin, set when the request is created. */
interface UndiciRequest {
  origin: string;
}

/**
 * `channelshift_vendor_requests_total{vendor,status}` and `channelshift_vendor_throttled_total{vendor}`, counted from
 * the process's HTTP clients as Node publishes them (node:http for node-fetch, undici for global fetch), so no
 * connector counts its own. `status` is the HTTP status, or `error` when no answer came. Throttles a vendor says only
 * in its body (Meta's 131056, Viber's status 12, Salesforce's REQUEST_LIMIT_EXCEEDED) are not seen here.
 */
export function vendorRequestCounters(registry: Registry, vendorOf: (origin: string) => string): () => void {
  const requests = new Counter({
    name: 'channelshift_vendor_requests_total',
    help: 'HTTP requests to each vendor, by the status it answered (error: no answer)',
    labelNames: ['vendor', 'status'],
    registers: [registry],
  });
  const throttled = new Counter({
    name: 'channelshift_vendor_throttled_total',
    help: 'Vendor requests answered HTTP 429 (too many requests)',
    labelNames: ['vendor'],
    registers: [registry],
  });
  // A request that fails after its answer began (a body cut short) was counted with its status already.
  const counted = new WeakSet<object>();
  const count = (request: object, origin: string, status: number | 'error') => {
    if (counted.has(request)) return;
    counted.add(request);
    const vendor = vendorOf(origin);
    requests.inc({ vendor, status: String(status) });
    if (status === 429) throttled.inc({ vendor });
  };
  const httpOrigin = (request: ClientRequest) => `${request.protocol}//${String(request.getHeader('host') ?? request.host)}`;

  const subscriptions: [string, (message: unknown) => void][] = [
    ['http.client.response.finish', (message) => {
      const { request, response } = message as { request: ClientRequest; response: IncomingMessage };
      count(request, httpOrigin(request), response.statusCode ?? 'error');
    }],
    ['http.client.request.error', (message) => {
      const { request } = message as { request: ClientRequest };
      count(request, httpOrigin(request), 'error');
    }],
    ['undici:request:headers', (message) => {
      const { request, response } = message as { request: UndiciRequest; response: { statusCode: number } };
      count(request, request.origin, response.statusCode);
    }],
    ['undici:request:error', (message) => {
      const { request } = message as { request: UndiciRequest };
      count(request, request.origin, 'error');
    }],
  ];
  for (const [name, onMessage] of subscriptions) diagnosticsChannel.subscribe(name, onMessage);
  return () => {
    for (const [name, onMessage] of subscriptions) diagnosticsChannel.unsubscribe(name, onMessage);
  };
}
