import { randomBytes, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { Answer } from './emulator-answer.ts';

export interface ConnectedApp {
  loginUrl: string;
  instanceUrl: string;
  clientId: string;
  clientSecret: string;
  /** The JWT bearer flow's issuer: the connected app's consumer key. */
  consumerKey: string;
  /** The pre-authorized user the JWT bearer flow logs in as. */
  username: string;
  /** The certificate's key the connected app verifies assertions with. */
  publicKey: KeyObject;
}

/** Salesforce allows an assertion's exp at most three minutes ahead; a little clock skew is forgiven. */
const MAX_ASSERTION_LIFETIME_S = 180 + 30;
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

const oauthError = (error: string, description: string): Answer => ({ status: 400, body: { error, error_description: description } });

/**
 * The token endpoint of a login server: client credentials or JWT bearer, form-encoded, answering the
 * session token and the instance URL every API call must go to. Returns the access token issued, if any.
 */
export function logIn(app: ConnectedApp, contentType: string | undefined, rawBody: string): { answer: Answer; accessToken?: string } {
  // Salesforce reads the token request as a form only; any other body has no grant_type.
  const form = contentType?.startsWith('application/x-www-form-urlencoded') ? new URLSearchParams(rawBody) : new URLSearchParams();
  const grantType = form.get('grant_type');
  let refusal: Answer | undefined;
  if (grantType === 'client_credentials') {
    if (form.get('client_id') !== app.clientId) refusal = oauthError('invalid_client_id', 'client identifier invalid');
    else if (form.get('client_secret') !== app.clientSecret) refusal = oauthError('invalid_client', 'invalid client credentials');
  } else if (grantType === JWT_BEARER) {
    const problem = assertionProblem(app, form.get('assertion') ?? '');
    if (problem !== undefined) refusal = oauthError('invalid_grant', problem);
  } else {
    refusal = oauthError('unsupported_grant_type', 'grant type not supported');
  }
  if (refusal !== undefined) return { answer: refusal };

  const accessToken = `00DEm0000000001!${randomBytes(32).toString('base64url')}`;
  return {
    accessToken,
    answer: {
      status: 200,
      body: {
        access_token: accessToken,
        signature: randomBytes(32).toString('base64'),
        scope: 'api',
        instance_url: app.instanceUrl,
        id: `${app.loginUrl}/id/00DEm0000000001AAA/005Em0000000001AAA`,
        token_type: 'Bearer',
        issued_at: String(Date.now()),
      },
    },
  };
}

/** What is wrong with a JWT bearer assertion, in Salesforce's words, or undefined when it is good. */
function assertionProblem(app: ConnectedApp, assertion: string): string | undefined {
  const parts = assertion.split('.');
  if (parts.length !== 3) return 'invalid assertion';
  const [header, payload, signature] = parts as [string, string, string];
  let alg: unknown;
  let claims: Record<string, unknown>;
  try {
    alg = (JSON.parse(Buffer.from(header, 'base64url').toString()) as { alg?: unknown }).alg;
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
  } catch {
    return 'invalid assertion';
  }
  if (alg !== 'RS256') return 'invalid assertion: the algorithm must be RS256';
  if (!verify('RSA-SHA256', Buffer.from(`${header}.${payload}`), app.publicKey, Buffer.from(signature, 'base64url'))) {
    return 'invalid assertion';
  }
  if (claims.iss !== app.consumerKey) return 'client identifier invalid';
  if (claims.aud !== app.loginUrl) return 'audience is invalid';
  if (claims.sub !== app.username) return "user hasn't approved this consumer";
  const nowS = Date.now() / 1000;
  if (typeof claims.exp !== 'number' || claims.exp <= nowS) return 'expired authorization code';
  if (claims.exp > nowS + MAX_ASSERTION_LIFETIME_S) return 'invalid assertion: exp is more than 3 minutes ahead';
  return undefined;
}
