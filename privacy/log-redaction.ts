import { redactPhoneNumbers } from './redact-phone-numbers.ts';

/**
 * What a log line may not carry, and what takes its place:
 * - a credential's value, wherever it appears (the message, any field, an error's stack): `[secret]`;
 * - anything that could be a phone number, in any string: `[number]`, but for what is plainly something else and
 *   would read as one: an IPv4 address (`127.0.0.1`), an ISO 8601 date or time, a UUID;
 * - the whole value of a field that holds a person's words or name: `[redacted]`. Such a field is one whose key's
 *   last word (camelCase, snake_case or kebab-case) is `text`, `body`, `caption` or `name`, or their plurals:
 *   `text`, `messageText`, `body`, `rawBody`, `message_body`, `name`, `firstName`, `display-name`. A thing's name is
 *   redacted too (`templateName`): log it under another key (`template`).
 * Numbers, booleans and dates pass as they are: counts and times. The SDK's identity fields (`workflowId`, `runId`,
 * ...) are the product's ids, which by its privacy rule hold nothing personal; they are kept whole (a timestamp in a
 * schedule's workflow id is no phone number), secrets aside. Bytes are logged as their length only.
 */
export interface LogRedaction {
  text(text: string): string;
  fields(fields: Record<string | symbol, unknown>): Record<string, unknown>;
}

const PERSONAL_WORDS = new Set(['text', 'texts', 'body', 'bodies', 'caption', 'captions', 'name', 'names']);
const IDENTITY_FIELDS = new Set(['namespace', 'taskQueue', 'sdkComponent', 'workflowId', 'runId', 'workflowType', 'activityId', 'activityType']);
const OCTET = String.raw`(?:25[0-5]|2[0-4]\d|1?\d?\d)`;
// Whole tokens only: a date or address that runs on into more digits may be part of a number.
const NOT_A_PHONE_NUMBER = new RegExp(
  String.raw`(?<![\w+(.]|\d-)(?:` +
    [
      String.raw`(?:${OCTET}\.){3}${OCTET}`,
      String.raw`\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?`,
      String.raw`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`,
    ].join('|') +
    String.raw`)(?![\w.-])`,
  'gi',
);
/** Far deeper than anything logged on purpose; a deeper object is cut rather than walked. */
const MAX_DEPTH = 8;

export function logRedaction(secrets: readonly string[]): LogRedaction {
  // Longest first: a secret that contains another is replaced whole.
  const known = [...new Set(secrets.filter((secret) => secret !== ''))].sort((a, b) => b.length - a.length);
  const withoutSecrets = (text: string) => known.reduce((redacted, secret) => redacted.split(secret).join('[secret]'), text);
  const text = (value: string) => {
    const kept = withoutSecrets(value);
    let redacted = '';
    let from = 0;
    for (const match of kept.matchAll(NOT_A_PHONE_NUMBER)) {
      redacted += redactPhoneNumbers(kept.slice(from, match.index)) + match[0];
      from = match.index + match[0].length;
    }
    return redacted + redactPhoneNumbers(kept.slice(from));
  };

  const value = (given: unknown, depth: number, ancestors: object[]): unknown => {
    if (typeof given === 'string') return text(given);
    if (typeof given === 'bigint') return given.toString();
    if (given === null || typeof given !== 'object') return typeof given === 'function' || typeof given === 'symbol' ? undefined : given;
    if (given instanceof Date) return Number.isNaN(given.getTime()) ? 'Invalid Date' : given.toISOString();
    if (ArrayBuffer.isView(given)) return `[${given.byteLength} bytes]`;
    if (ancestors.includes(given)) return '[circular]';
    if (depth >= MAX_DEPTH) return '[too deep]';
    const inside = [...ancestors, given];
    if (Array.isArray(given)) return given.map((item) => value(item, depth + 1, inside));
    const entries = given instanceof Error ? errorEntries(given) : Object.entries(given);
    return Object.fromEntries(entries.map(([key, item]) => [key, field(key, item, depth + 1, inside)]));
  };

  const field = (key: string, given: unknown, depth: number, ancestors: object[]): unknown => {
    if (given === undefined || given === null || given === '') return given;
    if (isPersonal(key)) return '[redacted]';
    if (IDENTITY_FIELDS.has(key) && typeof given === 'string') return withoutSecrets(given);
    return value(given, depth, ancestors);
  };

  return {
    text,
    fields(fields) {
      // Symbol keys (the SDK's timestamp) are the logger's to read, not the line's to show.
      return Object.fromEntries(Object.entries(fields).map(([key, item]) => [key, field(key, item, 0, [])]));
    },
  };
}

function isPersonal(key: string): boolean {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').split(/[\s_-]+/);
  return PERSONAL_WORDS.has(words.at(-1)!.toLowerCase());
}

/** An error's kind (under `type`: its `name` would read as a person's), message, stack, and whatever it carries. */
function errorEntries(error: Error): [string, unknown][] {
  const { name, message, stack, ...carried } = error;
  return [['type', name], ['message', message], ['stack', stack], ...Object.entries(carried), ['cause', error.cause]];
}
