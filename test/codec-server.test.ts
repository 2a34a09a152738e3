import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPayloadConverter } from '@temporalio/common';
import { startCodecServer, type CodecServer } from '../privacy/codec-server.ts';
import { PayloadEncryptionCodec } from '../privacy/payload-codec.ts';

const UI = 'http://localhost:8233';

describe('the codec server', () => {
  let server: CodecServer;
  beforeAll(async () => {
    server = await startCodecServer({ codec: new PayloadEncryptionCodec([{ id: 'k1', key: randomBytes(32) }]), port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => server.close());

  const post = (path: string, body: string, origin?: string) =>
    fetch(`${server.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Namespace': 'channelshift', ...(origin && { Origin: origin }) }, body });

  it('encodes and decodes in the UI\'s JSON protocol', async () => {
    const payload = defaultPayloadConverter.toPayload({ migrationId: 'acme' });
    const plain = { payloads: [{ metadata: { encoding: Buffer.from(payload.metadata!.encoding!).toString('base64') }, data: Buffer.from(payload.data!).toString('base64') }] };
    const encoded = await post('/encode', JSON.stringify(plain), UI);
    expect(encoded.status).toBe(200);
    expect(encoded.headers.get('access-control-allow-origin')).toBe(UI);
    const body = (await encoded.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    expect(Buffer.from(body.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe('binary/encrypted');
    expect(Buffer.from(body.payloads[0]!.metadata['encryption-key-id']!, 'base64').toString()).toBe('k1');

    const decoded = await post('/decode', JSON.stringify(body));
    expect(await decoded.json()).toEqual(plain);
  });

  it('answers the UI\'s preflight, and no other origin\'s', async () => {
    const preflight = await fetch(`${server.url}/decode`, {
      method: 'OPTIONS',
      headers: { Origin: UI, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-namespace' },
    });
    expect(preflight.status).toBe(204);
    expect(Object.fromEntries([...preflight.headers].filter(([name]) => name.startsWith('access-control-')))).toEqual({
      'access-control-allow-origin': UI,
      'access-control-allow-methods': 'POST, OPTIONS',
      'access-control-allow-headers': 'Content-Type, X-Namespace, Authorization',
      'access-control-allow-credentials': 'true',
      'access-control-max-age': '600',
    });
    const stranger = await fetch(`${server.url}/decode`, { method: 'OPTIONS', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' } });
    expect(stranger.status).toBe(403);
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('says what is wrong with a request it cannot read', async () => {
    const notJson = await post('/decode', '{"payloads": [');
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { message: string }).message).toMatch(/^the body is not JSON/);
    const wrongShape = await post('/decode', '{"payload": []}');
    expect(wrongShape.status).toBe(400);
    expect(((await wrongShape.json()) as { message: string }).message).toContain('{"payloads": [');
    const badMetadata = await post('/decode', '{"payloads": [{"metadata": {"encoding": 7}}]}');
    expect(((await badMetadata.json()) as { message: string }).message).toBe('payloads[0].metadata must map names to base64 strings');
    expect((await fetch(`${server.url}/decode`)).status).toBe(405);
    expect((await post('/other', '{}')).status).toBe(404);
  });

  it('names the key it does not hold', async () => {
    const other = new PayloadEncryptionCodec([{ id: 'k9', key: randomBytes(32) }]);
    const [encrypted] = await other.encode([defaultPayloadConverter.toPayload('x')]);
    const json = { metadata: Object.fromEntries(Object.entries(encrypted!.metadata!).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])), data: Buffer.from(encrypted!.data!).toString('base64') };
    const answer = await post('/decode', JSON.stringify({ payloads: [json] }));
    expect(answer.status).toBe(422);
    expect(((await answer.json()) as { message: string }).message).toContain('key "k9"');
  });
});
