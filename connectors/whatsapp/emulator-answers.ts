import { randomBytes } from 'node:crypto';

/** What an emulated Graph endpoint answers: an HTTP status, a JSON body and any headers Meta adds. */
export interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

export interface GraphErrorExtra {
  /** WhatsApp messaging errors carry `error_data.details`. */
  details?: string;
  type?: string;
  subcode?: number;
  /** The Business Management API's words for a person: the template creation refusals carry them. */
  userTitle?: string;
  userMessage?: string;
  isTransient?: boolean;
}

/** Meta's error envelope; `error_data` only for the WhatsApp errors that carry details. */
export function graphError(status: number, code: number, message: string, extra: GraphErrorExtra = {}): Answer {
  return {
    status,
    body: {
      error: {
        message,
        type: extra.type ?? 'OAuthException',
        code,
        ...(extra.subcode === undefined ? {} : { error_subcode: extra.subcode }),
        ...(extra.isTransient === undefined ? {} : { is_transient: extra.isTransient }),
        ...(extra.userTitle === undefined ? {} : { error_user_title: extra.userTitle }),
        ...(extra.userMessage === undefined ? {} : { error_user_msg: extra.userMessage }),
        ...(extra.details === undefined ? {} : { error_data: { messaging_product: 'whatsapp', details: extra.details } }),
        fbtrace_id: randomBytes(17).toString('base64url'),
      },
    },
  };
}

export const missingParameter = (name: string): Answer =>
  graphError(400, 131008, '(#131008) Required parameter is missing', { details: `The parameter ${name} is required.` });
export const invalidParameter = (details: string): Answer => graphError(400, 131009, '(#131009) Parameter value is not valid', { details });

/** The token checks every Graph endpoint makes, in Meta's words; undefined when the caller may go on. */
export function authorizationProblem(authorization: string | undefined, accessToken: string): Answer | undefined {
  if (authorization === undefined) return graphError(400, 104, 'An access token is required to request this resource.');
  if (authorization !== `Bearer ${accessToken}`) return graphError(401, 190, 'Invalid OAuth access token - Cannot parse access token');
  return undefined;
}

/** Graph's answer for an id in the path that is not the caller's (or not there). */
export function unknownObject(method: string, id: string): Answer {
  return graphError(
    400,
    100,
    `Unsupported ${method.toLowerCase()} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
    { type: 'GraphMethodException', subcode: 33 },
  );
}

/** A JSON object body, or Meta's answer to anything else. */
export function jsonObjectIn(rawBody: string): { json: Record<string, unknown> } | Answer {
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    return graphError(400, 100, '(#100) Invalid parameter', { details: 'The request body is not valid JSON' });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return graphError(400, 100, '(#100) Invalid parameter', { details: 'The request body must be a JSON object' });
  }
  return { json: body as Record<string, unknown> };
}

/** JSON as Meta writes it: non-ASCII characters and slashes escaped, so only the bytes as sent match the signature. */
export function metaJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/\//g, '\\/');
}

export const epochSeconds = (ms: number): string => String(Math.floor(ms / 1000));
export const newWamid = (): string => `wamid.HBgL${randomBytes(27).toString('base64')}`;
