import fetch from 'node-fetch';
import { ApplicationFailure } from '@temporalio/common';
import { retryAfterMs, vendorFailure } from '../vendor-failure.ts';

/** A private app's static token, or a public app's OAuth credentials for one installed account. */
export type HubSpotAuth =
  | { kind: 'private-app'; token: string }
  | { kind: 'oauth'; clientId: string; clientSecret: string; refreshToken: string };

export interface AccessTokens {
  /** A token good for a while yet; concurrent callers share one refresh. */
  current(): Promise<string>;
  /** Forgets a token HubSpot refused; says whether the next `current()` gets a different one. */
  refused(token: string): boolean;
}

/** HubSpot asks apps to refresh ahead of time rather than wait for a 401, which it calls no sign of expiry. */
const REFRESH_AHEAD_MS = 5 * 60_000;

interface TokenAnswer {
  access_token?: unknown;
  refresh_token?: unknown;
  expires_in?: unknown;
}

export function accessTokensFor(auth: HubSpotAuth, oauthBaseUrl: string, now: () => number): AccessTokens {
  if (auth.kind === 'private-app') {
    return { current: () => Promise.resolve(auth.token), refused: () => false };
  }
  const { clientId, clientSecret } = auth;
  let refreshToken = auth.refreshToken;
  let held: { value: string; refreshAt: number } | undefined;
  let refreshing: Promise<string> | undefined;

  async function refresh(): Promise<string> {
    const askedAt = now();
    const response = await fetch(`${oauthBaseUrl}/oauth/v1/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: clientId,
        client_secret: clientSecret,
        refresh_token: refreshToken,
      }).toString(),
    });
    const text = await response.text();
    // A bad refresh token or client answers 400 (BAD_REFRESH_TOKEN, invalid_grant): no retry mends that.
    if (!response.ok) throw vendorFailure('HubSpot', response.status, text, retryAfterMs(response.headers.get('retry-after')));
    const answer = JSON.parse(text) as TokenAnswer;
    if (typeof answer.access_token !== 'string' || typeof answer.expires_in !== 'number' || !(answer.expires_in > 0)) {
      const message = `HubSpot's token answer lacks access_token or expires_in (it has: ${Object.keys(answer).join(', ')})`;
      throw ApplicationFailure.create({ type: 'HubSpotUnavailable', message, nonRetryable: false });
    }
    // HubSpot may hand out a new refresh token; the old one may stop working once it has.
    if (typeof answer.refresh_token === 'string' && answer.refresh_token !== '') refreshToken = answer.refresh_token;
    const lifetimeMs = answer.expires_in * 1000;
    // Half the lifetime at most, so a short-lived token is not refreshed on every call.
    held = { value: answer.access_token, refreshAt: askedAt + lifetimeMs - Math.min(REFRESH_AHEAD_MS, lifetimeMs / 2) };
    return held.value;
  }

  return {
    current() {
      if (held !== undefined && now() < held.refreshAt) return Promise.resolve(held.value);
      refreshing ??= refresh().finally(() => {
        refreshing = undefined;
      });
      return refreshing;
    },
    refused(token) {
      if (held?.value === token) held = undefined;
      return true;
    },
  };
}
