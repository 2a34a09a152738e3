import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { codecKeys } from '../../privacy/codec-keys.ts';
import { DEFAULT_UI_ORIGINS, startCodecServer } from '../../privacy/codec-server.ts';
import { PayloadEncryptionCodec } from '../../privacy/payload-codec.ts';
import { UsageError } from '../usage-error.ts';

/**
 * `codec-server [--port 8888] [--host 127.0.0.1] [--ui-origin URL ...]`: decodes the encrypted history for the
 * Temporal UI (its codec endpoint setting) and `temporal --codec-endpoint`, with the worker's keys, until SIGINT or SIGTERM.
 */
export async function codecServerCommand(args: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        port: { type: 'string', default: '8888' },
        host: { type: 'string', default: '127.0.0.1' },
        'ui-origin': { type: 'string', multiple: true },
      },
    });
  } catch (error) {
    throw new UsageError(`codec-server: ${(error as Error).message}`);
  }
  const { values } = parsed;
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError(`codec-server --port: a port number, not "${values.port}"`);
  const uiOrigins = (values['ui-origin'] ?? DEFAULT_UI_ORIGINS).map(originOf);

  const codec = new PayloadEncryptionCodec(codecKeys());
  const server = await startCodecServer({ codec, port, host: values.host, uiOrigins });
  console.error(`Codec server at ${server.url} (POST /encode, /decode), new payloads under key "${codec.currentKeyId}", for the UI at ${uiOrigins.join(', ')}.`);
  if (!['127.0.0.1', 'localhost', '::1'].includes(values.host)) {
    console.error('Whoever reaches it can decrypt the history: keep it where only the UI and its users can.');
  }
  await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
  await server.close();
}

function originOf(text: string): string {
  try {
    const origin = new URL(text).origin;
    if (origin !== 'null') return origin;
  } catch {
    // Reported below, with the option's name.
  }
  throw new UsageError(`codec-server --ui-origin: a URL such as http://localhost:8080, not "${text}"`);
}
