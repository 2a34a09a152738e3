import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { listenOnLoopback, type LoopbackServer } from '../connectors/loopback-server.ts';
import { bodyWithin } from '../connectors/webhook-request.ts';

/** The local dev server's UI, on either name a browser may use for it. */
export const DEFAULT_UI_ORIGINS = devServerUiOrigins('127.0.0.1', 8233);
// A page of history at a time; well above Temporal's 2 MB payload limit, well below what would strain the process.
const MAX_BODY_BYTES = 32 * 1024 * 1024;

export interface CodecServerOptions {
  codec: PayloadCodec;
  port: number;
  host: string;
  /** Origins of the Temporal UIs whose browsers may call it (CORS). */
  uiOrigins?: readonly string[];
}

export type CodecServer = LoopbackServer;

/** A payload as the codec protocol writes it in JSON: metadata values and data in base64. */
interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

class BadRequest extends Error {}

/**
 * Temporal's remote codec protocol (`POST /encode`, `POST /decode`, `{"payloads": [...]}`), for the UI and
 * `temporal --codec-endpoint`, so a person can read what the history holds encrypted. Anyone who reaches it can
 * decrypt: it listens on loopback unless told otherwise.
 */
export async function startCodecServer({ codec, port, host, uiOrigins = DEFAULT_UI_ORIGINS }: CodecServerOptions): Promise<CodecServer> {
  const allowed = new Set(uiOrigins);
  const server = createServer((request, response) => {
    const origin = request.headers.origin;
    if (origin && allowed.has(origin)) {
      response.setHeader('Access-Control-Allow-Origin', origin);
      response.setHeader('Access-Control-Allow-Credentials', 'true');
    }
    response.setHeader('Vary', 'Origin');
    const path = new URL(request.url ?? '/', 'http://codec').pathname;
    const transform = path === '/encode' ? codec.encode.bind(codec) : path === '/decode' ? codec.decode.bind(codec) : undefined;
    if (!transform) return answer(response, 404, { message: `no such path ${path}: POST /encode or /decode` });
    if (request.method === 'OPTIONS') {
      if (!origin || !allowed.has(origin)) return answer(response, 403, { message: `origin ${origin ?? '(none)'} is not one of the UI origins (--ui-origin)` });
      response.writeHead(204, {
        'Access-Control-Allow-Methods': 'POST, OPTIONS',
        'Access-Control-Allow-Headers': 'Content-Type, X-Namespace, Authorization',
        'Access-Control-Max-Age': '600',
      });
      response.end();
      return;
    }
    if (request.method !== 'POST') return answer(response, 405, { message: `${request.method} ${path}: only POST (and OPTIONS)` });
    transformBody(request, transform).then(
      (payloads) => answer(response, 200, { payloads }),
      (error: unknown) => answer(response, error instanceof BadRequest ? 400 : 422, { message: (error as Error).message }),
    );
  });
  return listenOnLoopback(server, port, host);
}

async function transformBody(request: IncomingMessage, transform: (payloads: Payload[]) => Promise<Payload[]>): Promise<JsonPayload[]> {
  const raw = await bodyWithin(request, MAX_BODY_BYTES);
  if (raw === 'too large') throw new BadRequest(`the body is over ${MAX_BODY_BYTES} bytes`);
  if (raw === 'aborted') throw new BadRequest('the body was cut off');
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw new BadRequest(`the body is not JSON: ${(error as Error).message}`);
  }
  const payloads = (body as { payloads?: unknown } | null)?.payloads;
  if (!Array.isArray(payloads)) throw new BadRequest('the body must be {"payloads": [{"metadata": {...}, "data": "<base64>"}, ...]}');
  return (await transform(payloads.map(fromJson))).map(toJson);
}

function fromJson(value: unknown, index: number): Payload {
  const { metadata = {}, data = '' } = (value ?? {}) as JsonPayload;
  if (typeof metadata !== 'object' || metadata === null || Object.values(metadata).some((v) => typeof v !== 'string')) {
    throw new BadRequest(`payloads[${index}].metadata must map names to base64 strings`);
  }
  if (typeof data !== 'string') throw new BadRequest(`payloads[${index}].data must be a base64 string`);
  return {
    metadata: Object.fromEntries(Object.entries(metadata).map(([key, v]) => [key, Buffer.from(v, 'base64')])),
    data: Buffer.from(data, 'base64'),
  };
}

function toJson(payload: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, v]) => [key, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
    data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
  };
}

function answer(response: ServerResponse, status: number, body: object): void {
  response.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

/** The origins a browser shows a dev server's UI under: its address, and `localhost` when that is loopback or any. */
export function devServerUiOrigins(ip: string, uiPort: number): string[] {
  const local = ip === '127.0.0.1' || ip === '0.0.0.0' || ip === 'localhost';
  return local ? [`http://127.0.0.1:${uiPort}`, `http://localhost:${uiPort}`] : [`http://${ip}:${uiPort}`];
}
