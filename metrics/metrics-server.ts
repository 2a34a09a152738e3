import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
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
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const { port: bound } = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${shownHost}:${bound}${METRICS_PATH}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
