import { createServer } from 'node:http';
import { listenOnLoopback } from '../loopback-server.ts';
import { bodyWithin } from '../webhook-request.ts';
import { parseWhatsAppWebhook, type WhatsAppNotification } from './cloud-webhook.ts';
import { isWhatsAppSignatureValid } from './webhook-signature.ts';

/** An app's callback URL for tests: keeps every notification Meta posts, parsed, and counts the ones not signed right. */
export interface CapturedWebhooks {
  url: string;
  notifications: WhatsAppNotification[];
  unsigned: () => number;
  close(): Promise<void>;
}

export async function captureWhatsAppWebhooks(appSecret: string): Promise<CapturedWebhooks> {
  const notifications: WhatsAppNotification[] = [];
  let unsigned = 0;
  const server = createServer((request, response) => {
    void bodyWithin(request, 1024 * 1024).then((raw) => {
      if (!Buffer.isBuffer(raw)) return response.writeHead(400).end();
      const signature = request.headers['x-hub-signature-256'];
      if (!isWhatsAppSignatureValid(raw, typeof signature === 'string' ? signature : undefined, appSecret)) {
        unsigned++;
        return response.writeHead(401).end();
      }
      notifications.push(parseWhatsAppWebhook(JSON.parse(raw.toString('utf8'))));
      response.writeHead(200).end();
    });
  });
  const loopback = await listenOnLoopback(server);
  return { url: `${loopback.url}/webhooks/whatsapp`, notifications, unsigned: () => unsigned, close: () => loopback.close() };
}
