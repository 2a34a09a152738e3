import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createConnection } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { migrationSearchAttributes } from '../workflows/search-attributes.ts';

export interface DevServerOptions {
  cliPath: string;
  ip: string;
  port: number;
  uiPort: number;
  namespace: string;
  /** Where the server keeps its history, so runs stay visible after a restart. */
  dbFilename: string;
  /** Passed to the UI so it can show encoded payloads decoded. */
  uiCodecEndpoint?: string;
}

export interface DevServer {
  address: string;
  uiUrl: string;
  stop(): Promise<void>;
}

/** Starts `temporal server start-dev` with the project's namespace and search attributes, and waits until it answers. */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  mkdirSync(dirname(options.dbFilename), { recursive: true });
  const args = [
    'server', 'start-dev',
    '--ip', options.ip,
    '--port', String(options.port),
    '--ui-port', String(options.uiPort),
    '--namespace', options.namespace,
    '--db-filename', options.dbFilename,
    '--log-level', 'warn',
    ...migrationSearchAttributes.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]),
    ...(options.uiCodecEndpoint ? ['--ui-codec-endpoint', options.uiCodecEndpoint] : []),
  ];
  const server = spawn(options.cliPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  server.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));

  const deadline = Date.now() + 60_000;
  while (!(await accepts(options.ip, options.port))) {
    if (server.exitCode !== null || Date.now() > deadline) {
      server.kill();
      throw new Error(`the Temporal dev server did not start on ${options.ip}:${options.port}:\n${output}`);
    }
    await sleep(200);
  }
  return {
    address: `${options.ip}:${options.port}`,
    uiUrl: `http://${options.ip === '0.0.0.0' ? 'localhost' : options.ip}:${options.uiPort}`,
    async stop() {
      if (server.exitCode === null) server.kill('SIGTERM');
      await exited;
    },
  };
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port }, () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
