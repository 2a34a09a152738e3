import { createServer } from 'node:http';
import type { Registry } from 'prom-client';
import { listenOnLoopback } from '../connectors/loopback-server.ts';
import { processLog } from '../privacy/structured-log.ts';

export const METRICS_PATH = '/metrics';

export interface MetricsServer {
  /** The scrape address, e.g. `http://127.0.0.1:9464/metrics`. */
  url: string;
  close(): Promise<void>;
}

/** Serves `registry` to Prometheus at `GET /metrics`, in its text format. */
export async function startMetricsServer({ registry, port, host }: { registry: Registry; port: number; host: string }): Promise<MetricsServer> {
  const server = createServer((request, response) => {
    if (new URL(request.url ?? '/', 'http://metrics').pathname !== METRICS_PATH) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end(`metrics are at ${METRICS_PATH}\n`);
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('GET only\n');
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(request.method === 'HEAD' ? undefined : text),
      (error: unknown) => {
        processLog.error('Metrics not collected', { error });
        response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics could not be collected\n');
      },
    );
  });
  const listening = await listenOnLoopback(server, port, host);
  return { url: `${listening.url}${METRICS_PATH}`, close: listening.close };
}
