import { randomBytes, randomUUID } from 'node:crypto';
import type { Answer } from './emulator-answer.ts';

export interface OAuthClientCredentials {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
}

export type AccessTokenCheck = 'valid' | 'expired' | 'unknown';

/** HubSpot's OAuth token endpoint for one public app installed in one account. */
export interface OAuthAuthority {
  /** The app's credentials and the refresh token it was first given. */
  readonly client: OAuthClientCredentials;
  /** Answers `POST /oauth/v1/token`. */
  exchange(contentType: string | undefined, rawBody: string): Answer;
  check(accessToken: string): { state: AccessTokenCheck; expiredForMs: number };
  requestCount(): number;
}

export const DEFAULT_ACCESS_TOKEN_LIFETIME_MS = 1_800_000;

/** The error shape of HubSpot's OAuth endpoints: `status` carries the code, unlike the CRM API's. */
function tokenError(status: string, message: string): Answer {
  return { status: 400, body: { status, message, correlationId: randomUUID(), requestId: randomUUID() } };
}

const opaque = (prefix: string) => `${prefix}-${randomBytes(18).toString('base64url')}`;

export function createOAuthAuthority(options: {
  lifetimeMs: number;
  /** Issue a new refresh token with every access token; the one before stops working. */
  rotateRefreshTokens: boolean;
  now: () => number;
}): OAuthAuthority {
  const client: OAuthClientCredentials = { clientId: randomUUID(), clientSecret: randomUUID(), refreshToken: opaque('na1') };
  let refreshToken = client.refreshToken;
  const expiryByAccessToken = new Map<string, number>();
  let requests = 0;

  return {
    client,
    exchange(contentType, rawBody) {
      requests++;
      if (!contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
        return tokenError('BAD_REQUEST', 'The token request must be application/x-www-form-urlencoded');
      }
      const form = new URLSearchParams(rawBody);
      if (form.get('grant_type') !== 'refresh_token') return tokenError('BAD_GRANT_TYPE', 'missing or unknown grant type');
      if (form.get('client_id') !== client.clientId) return tokenError('BAD_CLIENT_ID', 'missing or unknown client id');
      if (form.get('client_secret') !== client.clientSecret) return tokenError('BAD_CLIENT_SECRET', 'missing or invalid client secret');
      if (form.get('refresh_token') !== refreshToken) return tokenError('BAD_REFRESH_TOKEN', 'missing or unknown refresh token');
      if (options.rotateRefreshTokens) refreshToken = opaque('na1');
      const accessToken = opaque('CO');
      expiryByAccessToken.set(accessToken, options.now() + options.lifetimeMs);
      return {
        status: 200,
        body: { token_type: 'bearer', refresh_token: refreshToken, access_token: accessToken, expires_in: Math.floor(options.lifetimeMs / 1000) },
      };
    },
    check(accessToken) {
      const expiresAt = expiryByAccessToken.get(accessToken);
      if (expiresAt === undefined) return { state: 'unknown', expiredForMs: 0 };
      const expiredForMs = options.now() - expiresAt;
      return { state: expiredForMs >= 0 ? 'expired' : 'valid', expiredForMs };
    },
    requestCount: () => requests,
  };
}
