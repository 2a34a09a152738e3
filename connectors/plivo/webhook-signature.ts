import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Plivo's callback signatures, computed as plivo-node's `validateV3Signature` (lib/utils/v3Security.js) and
 * `validateSignature` (lib/utils/security.js) compute them. Both are base64 HMAC-SHA256 keyed by the auth token.
 */

/** Form parameters as received: a name may come more than once. */
export type PlivoParams = Iterable<readonly [string, string]>;

export interface PlivoV3Input {
  /** The URL Plivo called, query included. */
  url: string;
  /** The POSTed form parameters; none for a GET (its parameters are in the URL's query). */
  params: PlivoParams;
  nonce: string;
  authToken: string;
}

/**
 * `X-Plivo-Signature-V3`: over scheme://host/path, then `?` and the URL's query sorted by name and value
 * (`k=v` joined by `&`), then for a POST `.` (only when there was a query) and the POST parameters sorted
 * the same way and written `kv` without separators, then `.` and the nonce.
 */
export function signPlivoV3({ url, params, nonce, authToken }: PlivoV3Input): string {
  const { base, query } = splitUrl(url);
  const posted = grouped(params);
  const queryText = sorted(grouped(new URLSearchParams(query)))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  let signed = base;
  if (queryText !== '' || posted.size > 0) signed += `?${queryText}`;
  if (queryText !== '' && posted.size > 0) signed += '.';
  signed += sorted(posted)
    .map(([name, value]) => `${name}${value}`)
    .join('');
  return hmac(authToken, `${signed}.${nonce}`);
}

/** `signatures` is the header as received: Plivo may send several, comma-separated (one per token during a rotation). */
export function isPlivoV3SignatureValid(input: Omit<PlivoV3Input, 'nonce'> & { nonce: string | undefined; signatures: string | undefined }): boolean {
  if (input.signatures === undefined || input.nonce === undefined) return false;
  const expected = signPlivoV3({ ...input, nonce: input.nonce });
  return input.signatures.split(',').some((signature) => sameText(expected, signature));
}

export interface PlivoV2Input {
  /** The URL Plivo called; only scheme://host/path is signed. */
  url: string;
  nonce: string;
  authToken: string;
}

/** `X-Plivo-Signature-V2`: over the URL without its query, then the nonce. It does not cover the parameters. */
export function signPlivoV2({ url, nonce, authToken }: PlivoV2Input): string {
  return hmac(authToken, `${splitUrl(url).base}${nonce}`);
}

export function isPlivoV2SignatureValid(input: Omit<PlivoV2Input, 'nonce'> & { nonce: string | undefined; signature: string | undefined }): boolean {
  if (input.signature === undefined || input.nonce === undefined) return false;
  return sameText(signPlivoV2({ ...input, nonce: input.nonce }), input.signature);
}

function hmac(authToken: string, text: string): string {
  return createHmac('sha256', authToken).update(text, 'utf8').digest('base64');
}

/** The URL as written, cut at its query and fragment: the SDK keeps scheme, host, port and path as they are. */
function splitUrl(url: string): { base: string; query: string } {
  const withoutFragment = url.split('#', 1)[0]!;
  const mark = withoutFragment.indexOf('?');
  return mark < 0 ? { base: withoutFragment, query: '' } : { base: withoutFragment.slice(0, mark), query: withoutFragment.slice(mark + 1) };
}

function grouped(params: PlivoParams): Map<string, string[]> {
  const byName = new Map<string, string[]>();
  for (const [name, value] of params) byName.set(name, [...(byName.get(name) ?? []), value]);
  return byName;
}

/** Names in order, and a name's values in order, with JavaScript's default string order as the SDK sorts. */
function sorted(byName: Map<string, string[]>): [string, string][] {
  return [...byName.keys()].sort().flatMap((name) => [...byName.get(name)!].sort().map((value): [string, string] => [name, value]));
}

function sameText(expected: string, candidate: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(candidate.trim());
  return a.length === b.length && timingSafeEqual(a, b);
}
