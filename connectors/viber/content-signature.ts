import { createHmac, timingSafeEqual } from 'node:crypto';

/** `X-Viber-Content-Signature`: hex HMAC-SHA256 of the body exactly as sent, keyed by the bot's auth token. */
export function signViberBody(rawBody: Buffer | string, authToken: string): string {
  return createHmac('sha256', authToken).update(rawBody).digest('hex');
}

/**
 * Checks the signature on the bytes as they arrived: a body parsed and written again (other spacing, other key
 * order, escaped characters) no longer matches, which is why this runs before any parsing.
 */
export function isViberSignatureValid(rawBody: Buffer, signature: string | undefined, authToken: string): boolean {
  if (signature === undefined || !/^[0-9a-f]{64}$/i.test(signature)) return false;
  const expected = Buffer.from(signViberBody(rawBody, authToken), 'hex');
  return timingSafeEqual(expected, Buffer.from(signature, 'hex'));
}
