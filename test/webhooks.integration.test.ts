import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signPlivoV2, signPlivoV3 } from '../connectors/plivo/webhook-signature.ts';
import { signWhatsAppBody } from '../connectors/whatsapp/webhook-signature.ts';
import { signViberBody } from '../connectors/viber/content-signature.ts';
import { startWebhookServer, webhookPaths } from '../worker/webhook-server.ts';
import { openSandbox, type Sandbox } from './support/sandbox.ts';
import { signedVonageReply } from './support/vonage-reply.ts';

/** What the receiver keeps of a sender: every table a webhook can write to. */
async function traceOf(sandbox: Sandbox, sender: string, wamid: string) {
  const [inbound, ledger, statuses] = await Promise.all([
    sandbox.db.selectFrom('inbound_messages').selectAll().where('sender', '=', sender).execute(),
    sandbox.db.selectFrom('consent_ledger').selectAll().where('address', '=', sender).execute(),
    sandbox.db.selectFrom('whatsapp_status_events').selectAll().where('wamid', '=', wamid).execute(),
  ]);
  return { inbound: inbound.length, ledger: ledger.length, statuses: statuses.length };
}

describe('the webhook receiver', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await openSandbox();
  });
  afterAll(async () => sandbox.close());

  const post = (path: string, body: string | URLSearchParams, headers: Record<string, string> = {}) =>
    fetch(sandbox.webhooks.url + path, { method: 'POST', body, headers });

  const vonageReply = (msisdn: string, text: string, secret: string) => signedVonageReply(msisdn, text, secret, sandbox.emulators.vonageMessaging.signatureMethod);

  it('refuses a reply with a wrong or missing signature, from any vendor, and keeps no trace of it', async () => {
    const msisdn = '971501234567';
    const wamid = `wamid.${randomUUID()}`;
    const refused = await Promise.all([
      post(webhookPaths.vonageInbound, vonageReply(msisdn, 'YES', 'not-the-secret')),
      post(webhookPaths.vonageInbound, (() => { const p = vonageReply(msisdn, 'YES', sandbox.emulators.vonageMessaging.signatureSecret); p.delete('sig'); return p; })()),
      post(webhookPaths.plivoInbound, new URLSearchParams({ From: msisdn, To: '447700900123', Text: 'YES', Type: 'sms', MessageUUID: randomUUID() }), {
        'x-plivo-signature-v3': signPlivoV3({ url: sandbox.webhooks.url + webhookPaths.plivoInbound, params: [], nonce: '1', authToken: 'wrong' }),
        'x-plivo-signature-v3-nonce': '1',
      }),
      post(webhookPaths.whatsApp, JSON.stringify(whatsAppStatus(wamid, msisdn)), { 'content-type': 'application/json' }),
      post(webhookPaths.whatsApp, JSON.stringify(whatsAppStatus(wamid, msisdn)), { 'x-hub-signature-256': signWhatsAppBody('{}', sandbox.emulators.whatsApp.appSecret) }),
      post(webhookPaths.viber, JSON.stringify({ event: 'message', timestamp: Date.now(), message_token: '5741311803571721087', sender: { id: 'forged==' }, message: { type: 'text', text: 'YES' } }), {
        'x-viber-content-signature': signViberBody('{}', sandbox.emulators.viber.authToken),
      }),
    ]);
    expect(refused.map((r) => r.status)).toEqual([401, 401, 401, 401, 401, 403]);
    expect(await traceOf(sandbox, `+${msisdn}`, wamid)).toEqual({ inbound: 0, ledger: 0, statuses: 0 });
    expect(await traceOf(sandbox, 'forged==', wamid)).toEqual({ inbound: 0, ledger: 0, statuses: 0 });
  });

  it('takes no consent from a captured Plivo V2 header pair: V3 only by default, and with V2 accepted each nonce once', async () => {
    const authToken = sandbox.emulators.settings.plivo!.authToken;
    // V2 signs the URL and a nonce, nothing of the body: whoever saw one callback's headers can sign any body with them.
    const capturedPair = (receiverUrl: string, nonce: string) => ({
      'x-plivo-signature-v2': signPlivoV2({ url: receiverUrl + webhookPaths.plivoInbound, nonce, authToken }),
      'x-plivo-signature-v2-nonce': nonce,
    });
    const sms = (from: string, text: string) => new URLSearchParams({ From: from, To: '447700900123', Text: text, Type: 'sms', MessageUUID: randomUUID() });

    const forged = await post(webhookPaths.plivoInbound, sms('971509990001', 'STOP'), capturedPair(sandbox.webhooks.url, '31415926535897'));
    expect(forged.status).toBe(401);
    expect(await traceOf(sandbox, '+971509990001', 'none')).toEqual({ inbound: 0, ledger: 0, statuses: 0 });

    const acceptingV2 = await startWebhookServer({ db: sandbox.db, plivo: { authToken, acceptSignatureV2: true }, port: 0, host: '127.0.0.1' });
    try {
      const pair = capturedPair(acceptingV2.url, '27182818284590');
      const postTo = (body: URLSearchParams) => fetch(acceptingV2.url + webhookPaths.plivoInbound, { method: 'POST', body, headers: pair });
      const answers = [await postTo(sms('971509990002', 'YES')), await postTo(sms('971509990002', 'STOP')), await postTo(sms('971509990003', 'YES'))];
      expect(answers.map((answer) => answer.status)).toEqual([200, 401, 401]);
    } finally {
      await acceptingV2.close();
    }
    const ledger = await sandbox.db.selectFrom('consent_ledger').select(['address', 'decision']).where('address', 'in', ['+971509990002', '+971509990003']).execute();
    expect(ledger).toEqual([{ address: '+971509990002', decision: 'granted' }]);
  });

  it('counts a webhook delivered twice once: one stored reply, one consent, one status', async () => {
    const msisdn = '971507654321';
    const wamid = `wamid.${randomUUID()}`;
    const reply = vonageReply(msisdn, 'STOP', sandbox.emulators.vonageMessaging.signatureSecret);
    const status = JSON.stringify(whatsAppStatus(wamid, msisdn));
    for (let delivery = 0; delivery < 2; delivery++) {
      expect((await post(webhookPaths.vonageInbound, reply)).status).toBe(204);
      const answer = await post(webhookPaths.whatsApp, status, { 'x-hub-signature-256': signWhatsAppBody(status, sandbox.emulators.whatsApp.appSecret) });
      expect(answer.status).toBe(200);
    }
    expect(await traceOf(sandbox, `+${msisdn}`, wamid)).toEqual({ inbound: 1, ledger: 1, statuses: 1 });
    const consent = await sandbox.db.selectFrom('consent_states').selectAll().where('e164', '=', `+${msisdn}`).executeTakeFirstOrThrow();
    expect(consent.decision).toBe('withdrawn');
  });

  it('answers the WhatsApp verification handshake only with the right token', async () => {
    const handshake = (token: string) =>
      fetch(`${sandbox.webhooks.url}${webhookPaths.whatsApp}?hub.mode=subscribe&hub.verify_token=${token}&hub.challenge=1158201444`);
    const right = await handshake(sandbox.emulators.settings.whatsApp!.verifyToken!);
    expect([right.status, await right.text()]).toEqual([200, '1158201444']);
    expect((await handshake('guess')).status).toBe(403);
  });
});

function whatsAppStatus(wamid: string, recipient: string) {
  const value = {
    messaging_product: 'whatsapp',
    metadata: { display_phone_number: '447700900123', phone_number_id: '106540352242922' },
    statuses: [{ id: wamid, status: 'delivered', timestamp: String(Math.floor(Date.now() / 1000)), recipient_id: recipient }],
  };
  return { object: 'whatsapp_business_account', entry: [{ id: '102290129340398', changes: [{ field: 'messages', value }] }] };
}
