import { createPrivateKey } from 'node:crypto';
import fetch from 'node-fetch';
import { ApplicationFailure } from '@temporalio/common';
import type { SlidingWindowLimit } from '../sliding-window-limit.ts';
import { retryAfterMs, vendorFailure } from '../vendor-failure.ts';
import { jwtBearerAssertion } from './jwt-bearer-assertion.ts';

export type SalesforceAuth =
  | { kind: 'client-credentials'; clientId: string; clientSecret: string }
  /**
   * `privateKey`: the PEM key whose certificate the connected app holds. `audience` defaults to the login URL;
   * Salesforce wants https://login.salesforce.com (or test.salesforce.com) there even when logging in at a My Domain.
   */
  | { kind: 'jwt-bearer'; consumerKey: string; username: string; privateKey: string; audience?: string };

export interface SalesforceSession {
  accessToken: string;
  /** The org's own host: every API call goes there, never to the login URL. */
  instanceUrl: string;
  /** The identity URL naming the org and user. */
  identityUrl: string;
}

export interface SalesforceLogin {
  /** The cached session, or a new one; callers asking at the same time share one token request. */
  session(): Promise<SalesforceSession>;
  /** Forgets a session Salesforce no longer accepts, so the next `session()` logs in again. */
  drop(session: SalesforceSession): void;
}

interface TokenAnswer {
  access_token?: unknown;
  instance_url?: unknown;
  id?: unknown;
}

/** OAuth 2.0 server-to-server login at `{loginUrl}/services/oauth2/token`, by client credentials or JWT bearer. */
export function createSalesforceLogin(options: { loginUrl: string; auth: SalesforceAuth; limit: SlidingWindowLimit }): SalesforceLogin {
  const loginUrl = options.loginUrl.replace(/\/+$/, '');
  const { auth } = options;
  let current: Promise<SalesforceSession> | undefined;
  /** What `current` resolved to, so `drop` can compare without waiting. */
  let latest: SalesforceSession | undefined;

  function grant(): URLSearchParams {
    if (auth.kind === 'client-credentials') {
      return new URLSearchParams({ grant_type: 'client_credentials', client_id: auth.clientId, client_secret: auth.clientSecret });
    }
    let key;
    try {
      key = createPrivateKey(auth.privateKey);
    } catch {
      throw ApplicationFailure.create({
        type: 'SalesforceRejected',
        message: 'Salesforce JWT bearer login: the private key is not a PEM key this runtime can read',
        nonRetryable: true,
      });
    }
    const assertion = jwtBearerAssertion({ consumerKey: auth.consumerKey, username: auth.username, audience: auth.audience ?? loginUrl }, key);
    return new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion });
  }

  async function logIn(): Promise<SalesforceSession> {
    await options.limit.take();
    // Signed after the wait, so the assertion's three minutes are not spent queueing.
    const body = grant();
    const response = await fetch(`${loginUrl}/services/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: body.toString(),
    });
    const text = await response.text();
    // 400 invalid_grant / invalid_client: the body's error_description says what is wrong, and a retry cannot fix it.
    if (!response.ok) throw vendorFailure('Salesforce', response.status, text, retryAfterMs(response.headers.get('retry-after')));
    let answer: TokenAnswer;
    try {
      answer = JSON.parse(text) as TokenAnswer;
    } catch {
      answer = {};
    }
    const { access_token: accessToken, instance_url: instanceUrl, id } = answer;
    if (typeof accessToken !== 'string' || typeof instanceUrl !== 'string' || !/^https?:\/\//.test(instanceUrl)) {
      throw ApplicationFailure.create({
        type: 'SalesforceUnavailable',
        message: 'Salesforce answered the token request without an access_token and instance_url',
        nonRetryable: false,
      });
    }
    return { accessToken, instanceUrl: instanceUrl.replace(/\/+$/, ''), identityUrl: typeof id === 'string' ? id : '' };
  }

  return {
    session() {
      if (current === undefined) {
        const login = logIn();
        current = login;
        login.then(
          (session) => {
            if (current === login) latest = session;
          },
          () => {
            if (current === login) current = undefined;
          },
        );
      }
      return current;
    },
    drop(session) {
      // Only the session that failed: a caller holding an older one must not throw away a fresh login.
      if (latest !== session) return;
      current = undefined;
      latest = undefined;
    },
  };
}
