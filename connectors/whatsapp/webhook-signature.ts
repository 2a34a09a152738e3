import { createHmac, timingSafeEqual } from 'node:crypto';

/** `X-Hub-Signature-256`: `sha256=` and the hex HMAC-SHA256 of the body exactly as sent, keyed by the app secret. */
export function signWhatsAppBody(rawBody: Buffer | string, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}

/**
 * Checks the signature on the bytes as they arrived. Meta signs its own serialisation (non-ASCII characters and
 * slashes escaped), so a body parsed and written again no longer matches: this runs before any parsing.
 */
export function isWhatsAppSignatureValid(rawBody: Buffer, header: string | undefined, appSecret: string): boolean {
  if (header === undefined || !/^sha256=[0-9a-f]{64}$/i.test(header)) return false;
  const expected = Buffer.from(signWhatsAppBody(rawBody, appSecret).slice('sha256='.length), 'hex');
  return timingSafeEqual(expected, Buffer.from(header.slice('sha256='.length), 'hex'));
}
