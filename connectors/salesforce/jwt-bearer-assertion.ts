import { sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

/** Salesforce refuses an assertion whose `exp` is more than three minutes away. */
const ASSERTION_LIFETIME_S = 180;

export interface JwtBearerClaims {
  /** The connected app's consumer key. */
  consumerKey: string;
  username: string;
  /** The login URL the assertion is for, e.g. https://login.salesforce.com. */
  audience: string;
}

const base64Url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** The RS256 JWT for the OAuth 2.0 JWT bearer flow, signed with the connected app's private key. */
export function jwtBearerAssertion(claims: JwtBearerClaims, privateKey: KeyObject | string, now = Date.now()): string {
  const header = base64Url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const payload = base64Url(
    JSON.stringify({
      iss: claims.consumerKey,
      sub: claims.username,
      aud: claims.audience,
      exp: Math.floor(now / 1000) + ASSERTION_LIFETIME_S,
    }),
  );
  const signature = sign('RSA-SHA256', Buffer.from(`${header}.${payload}`), privateKey);
  return `${header}.${payload}.${base64Url(signature)}`;
}
