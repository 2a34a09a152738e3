import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoopbackServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves an emulator (or the codec server) on 127.0.0.1 unless told another host, on any free port for port 0; the URL
 * of a server on every address (0.0.0.0) names 127.0.0.1. Closing also ends kept-alive client connections.
 */
export async function listenOnLoopback(server: Server, port = 0, host = '127.0.0.1'): Promise<LoopbackServer> {
  await new Promise<void>((resolve, reject) => {
    // A port in use rejects here instead of surfacing as an unhandled 'error' event.
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const shownHost = host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${shownHost}:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
