import { randomUUID } from 'node:crypto';
import { signVonageParams, type VonageSignatureMethod } from '../../connectors/vonage/webhook-signature.ts';

/** An inbound SMS as Vonage posts it to the receiver, from `msisdn` (without `+`), signed with `secret`. */
export function signedVonageReply(msisdn: string, text: string, secret: string, method: VonageSignatureMethod): URLSearchParams {
  const params: Record<string, string> = {
    msisdn,
    to: '447700900123',
    messageId: randomUUID(),
    text,
    type: 'text',
    keyword: text.split(' ')[0]!.toUpperCase(),
    'message-timestamp': new Date().toISOString().slice(0, 19).replace('T', ' '),
    timestamp: String(Math.floor(Date.now() / 1000)),
    nonce: randomUUID(),
  };
  return new URLSearchParams({ ...params, sig: signVonageParams(params, secret, method) });
}
