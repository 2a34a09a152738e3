import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabase } from '../database/connect.ts';
import type { Database } from '../database/schema.ts';
import type { InboundEvents, InboundMessage } from '../activities/opt-in/inbound-events.ts';
import { signViberBody } from '../connectors/viber/content-signature.ts';
import { startWebhookServer, webhookPaths } from './webhook-server.ts';

const AUTH_TOKEN = 'webhook-server-test-token';
// The run's database is shared with other files: everything this file writes is kept under its own bot.
const bot = `ws-${randomUUID().slice(0, 8)}`;

describe('the webhook server of a worker that stops', () => {
  let db: Kysely<Database>;

  beforeAll(async () => {
    db = await openDatabase({ kind: 'postgres', url: inject('databaseUrl') });
  });
  afterAll(async () => {
    await db.deleteFrom('viber_events').where('bot', '=', bot).execute();
    await db.deleteFrom('viber_subscribers').where('bot', '=', bot).execute();
    await db.destroy();
  });

  /** A Viber server whose hand-overs of customers' messages wait until the test lets them finish. */
  async function serverWithHeldHandOver() {
    let handOverStarted!: () => void;
    const started = new Promise<void>((resolve) => (handOverStarted = resolve));
    let finishHandOver!: () => void;
    const finished = new Promise<void>((resolve) => (finishHandOver = resolve));
    const handedOver: InboundMessage[] = [];
    const events: InboundEvents = {
      async message(event) {
        handOverStarted();
        await finished;
        handedOver.push(event);
      },
      receipt: async () => {},
      whatsAppStatus: async () => {},
    };
    const server = await startWebhookServer({ db, viber: { bot, authToken: AUTH_TOKEN }, events, port: 0, host: '127.0.0.1' });
    return { server, started, finishHandOver, handedOver };
  }

  let token = 5_000_000_000_000_000;
  function customerMessage(text: string): string {
    return JSON.stringify({
      event: 'message',
      timestamp: Date.now(),
      sender: { id: `${bot}-user`, name: 'A customer', country: 'AE', language: 'ar', api_version: 10 },
      message: { type: 'text', text },
      message_token: token++,
    });
  }

  it('finishes a callback it is recording, answers it 200, and only then has closed', async () => {
    const { server, started, finishHandOver, handedOver } = await serverWithHeldHandOver();
    const body = customerMessage('yes');
    const answer = fetch(`${server.url}${webhookPaths.viber}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-viber-content-signature': signViberBody(body, AUTH_TOKEN) },
      body,
    });

    await started;
    let closed = false;
    const closing = server.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closed).toBe(false);

    finishHandOver();
    expect((await answer).status).toBe(200);
    await closing;
    expect(handedOver.map((event) => event.text)).toEqual(['yes']);
    await expect(fetch(`${server.url}${webhookPaths.viber}`, { method: 'POST', body })).rejects.toThrow();
  });

  it('takes no callback that arrives on a busy connection once closing began: its vendor sends it again', async () => {
    const { server, started, finishHandOver, handedOver } = await serverWithHeldHandOver();
    const { port } = new URL(server.url);
    const request = (body: string) =>
      [
        `POST ${webhookPaths.viber} HTTP/1.1`,
        `host: 127.0.0.1:${port}`,
        'content-type: application/json',
        `x-viber-content-signature: ${signViberBody(body, AUTH_TOKEN)}`,
        `content-length: ${Buffer.byteLength(body)}`,
        '',
        body,
      ].join('\r\n');
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString()));
    const ended = new Promise((resolve) => socket.on('close', resolve));
    socket.write(request(customerMessage('yes')));

    await started;
    const closing = server.close();
    // The connection is busy with the first callback, so it stays open and can bring another.
    const stop = customerMessage('STOP');
    socket.write(request(stop));
    await new Promise((resolve) => setTimeout(resolve, 100));
    finishHandOver();
    await closing;
    await ended;

    // Time for a handler that outlived its connection to write what it should not have.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received.match(/^HTTP\/1\.1 \d+/gm)).toEqual(['HTTP/1.1 200']);
    expect(handedOver.map((event) => event.text)).toEqual(['yes']);
    const stopRecorded = await db
      .selectFrom('viber_events')
      .select('message_token')
      .where('bot', '=', bot)
      .where('message_token', '=', String(JSON.parse(stop).message_token))
      .execute();
    expect(stopRecorded).toEqual([]);
  });
});
