import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The account's signature method: `md5hash` appends the secret before hashing, the others are HMACs keyed by it. */
export type VonageSignatureMethod = 'md5hash' | 'md5' | 'sha1' | 'sha256' | 'sha512';

/** How far a webhook's `timestamp` may be from our clock, either way (Vonage SDK RequestSigning). */
export const SIGNATURE_TOLERANCE_MS = 5 * 60 * 1000;

const HEX_LENGTH: Record<VonageSignatureMethod, number> = { md5hash: 32, md5: 32, sha1: 40, sha256: 64, sha512: 128 };

/**
 * The `sig` Vonage puts on a webhook's parameters (timestamp and nonce included), in upper-case hex as its
 * webhooks carry it. Signs exactly what it is given: the sender adds `timestamp` and `nonce` first.
 */
export function signVonageParams(params: Record<string, string>, secret: string, method: VonageSignatureMethod): string {
  const signed = signedString(params);
  const digest =
    method === 'md5hash'
      ? createHash('md5').update(signed + secret, 'utf8').digest('hex')
      : createHmac(method, secret).update(signed, 'utf8').digest('hex');
  return digest.toUpperCase();
}

/**
 * Whether `sig` signs the other parameters with this secret and method, and `timestamp` (epoch seconds) is
 * within five minutes of `now`. A missing or unreadable timestamp fails, so an old capture cannot be replayed.
 */
export function isVonageSignatureValid(
  params: Record<string, string>,
  secret: string,
  method: VonageSignatureMethod,
  now: Date,
): boolean {
  const supplied = params.sig;
  if (supplied === undefined || supplied.length !== HEX_LENGTH[method] || !/^[0-9a-f]+$/i.test(supplied)) return false;
  const timestamp = params.timestamp;
  if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(now.getTime() - Number(timestamp) * 1000) > SIGNATURE_TOLERANCE_MS) return false;
  const expected = Buffer.from(signVonageParams(params, secret, method), 'hex');
  return timingSafeEqual(expected, Buffer.from(supplied, 'hex'));
}

/**
 * `&k=v` for each parameter in key order, `sig` left out, and (as the SDKs do) parameters whose value is
 * blank too; `&` and `=` inside a key or value become `_` so no value can pose as another parameter.
 */
function signedString(params: Record<string, string>): string {
  const clean = (text: string) => text.replace(/[&=]/g, '_');
  return Object.keys(params)
    .filter((key) => key !== 'sig' && params[key]!.trim() !== '')
    .sort()
    .map((key) => `&${clean(key)}=${clean(params[key]!)}`)
    .join('');
}
