/** A Viber user as callbacks describe them: `user` on subscribed and conversation_started, `sender` on message. */
export interface ViberCallbackUser {
  /** Unique per user and per bot; not a phone number. */
  id: string;
  name?: string;
  avatar?: string;
  /** ISO 3166 alpha-2, as the user's phone reports it. */
  country?: string;
  language?: string;
  api_version?: number;
}

interface CallbackFields {
  /**
   * Viber's 64-bit id of the callback, kept as its digits: as a JavaScript number it would be rounded, and two
   * callbacks could pass for one. A callback Viber sends again carries the same token.
   */
  message_token: string;
  /** When the event happened, in milliseconds since the epoch. */
  timestamp: number;
}

/** Sent once when the webhook is set, to check that it answers. */
export interface ViberWebhookCheck extends CallbackFields {
  event: 'webhook';
}

export interface ViberSubscribed extends CallbackFields {
  event: 'subscribed';
  user: ViberCallbackUser;
}

export interface ViberUnsubscribed extends CallbackFields {
  event: 'unsubscribed';
  user_id: string;
}

/** The user opened the bot's chat; `subscribed` says whether they already are (opening alone does not subscribe). */
export interface ViberConversationStarted extends CallbackFields {
  event: 'conversation_started';
  user: ViberCallbackUser;
  subscribed: boolean;
  type?: string;
  context?: string;
}

/** A message from the user; a user's first message subscribes them without a `subscribed` callback. */
export interface ViberMessageReceived extends CallbackFields {
  event: 'message';
  sender: ViberCallbackUser;
  message: ViberMessage;
}

export interface ViberMessage {
  /** `text`, `picture`, `contact`, `location`, ... */
  type: string;
  text?: string;
  /** On `contact` messages; the share-phone keyboard button sends the user's own number this way. */
  contact?: { name?: string; phone_number: string; avatar?: string };
  tracking_data?: string;
}

/** What became of a message the bot sent. */
export interface ViberMessageReceipt extends CallbackFields {
  event: 'delivered' | 'seen' | 'failed';
  user_id: string;
  desc?: string;
}

export type ViberCallback =
  | ViberWebhookCheck
  | ViberSubscribed
  | ViberUnsubscribed
  | ViberConversationStarted
  | ViberMessageReceived
  | ViberMessageReceipt;

export type ViberEvent = ViberCallback['event'];

const EVENTS: readonly ViberEvent[] = ['webhook', 'subscribed', 'unsubscribed', 'conversation_started', 'message', 'delivered', 'seen', 'failed'];

type JsonReviver = (this: unknown, key: string, value: unknown, context: { source?: string }) => unknown;

/**
 * Parses a callback body keeping `message_token` as the digits Viber wrote: Viber sends it as a JSON number of
 * up to 19 digits, beyond what a JavaScript number holds exactly.
 */
export function parseViberJson(rawBody: string): unknown {
  const keepTokenDigits: JsonReviver = (key, value, context) =>
    key === 'message_token' && typeof value === 'number' && context.source !== undefined ? context.source : value;
  return JSON.parse(rawBody, keepTokenDigits as Parameters<typeof JSON.parse>[1]);
}

/**
 * Checks a parsed callback against Viber's documented shape and returns it typed. The error names the field
 * and what was wrong, never its value (a value can be a phone number). Fields it does not check are kept, so
 * the callback can be stored as Viber sent it.
 */
export function parseViberCallback(body: unknown): ViberCallback {
  const callback = objectAt(body, 'callback');
  const event = callback.event;
  if (typeof event !== 'string' || !(EVENTS as readonly string[]).includes(event)) {
    const named = typeof event === 'string' && /^[a-z_]{1,40}$/.test(event) ? `"${event}"` : describe(event);
    throw new Error(`callback: event must be one of ${EVENTS.join(', ')}, got ${named}`);
  }
  const common = { ...callback, message_token: messageToken(callback.message_token, event), timestamp: timestamp(callback.timestamp, event) };
  switch (event as ViberEvent) {
    case 'webhook':
      return { ...common, event: 'webhook' };
    case 'subscribed':
      return { ...common, event: 'subscribed', user: user(callback.user, `${event}.user`) };
    case 'conversation_started': {
      const subscribed = callback.subscribed ?? false;
      if (typeof subscribed !== 'boolean') throw new Error(`${event}.subscribed must be true or false, got ${describe(subscribed)}`);
      return { ...common, event: 'conversation_started', user: user(callback.user, `${event}.user`), subscribed };
    }
    case 'message':
      return { ...common, event: 'message', sender: user(callback.sender, `${event}.sender`), message: message(callback.message, `${event}.message`) };
    case 'unsubscribed':
      return { ...common, event: 'unsubscribed', user_id: nonEmptyString(callback.user_id, `${event}.user_id`) };
    case 'delivered':
    case 'seen':
    case 'failed':
      return { ...common, event: event as ViberMessageReceipt['event'], user_id: nonEmptyString(callback.user_id, `${event}.user_id`) };
  }
}

function messageToken(value: unknown, event: string): string {
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  if (typeof value === 'number') throw new Error(`${event}.message_token lost digits as a JavaScript number; parse the body with parseViberJson`);
  throw new Error(`${event}.message_token must be a non-negative integer, got ${describe(value)}`);
}

function timestamp(value: unknown, event: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  throw new Error(`${event}.timestamp must be milliseconds since the epoch, got ${describe(value)}`);
}

function user(value: unknown, path: string): ViberCallbackUser {
  const fields = objectAt(value, path);
  const described: ViberCallbackUser = { ...fields, id: nonEmptyString(fields.id, `${path}.id`) };
  for (const name of ['name', 'avatar', 'country', 'language'] as const) {
    const text = fields[name];
    if (text !== undefined && typeof text !== 'string') throw new Error(`${path}.${name} must be text, got ${describe(text)}`);
  }
  if (fields.api_version !== undefined && typeof fields.api_version !== 'number') {
    throw new Error(`${path}.api_version must be a number, got ${describe(fields.api_version)}`);
  }
  return described;
}

function message(value: unknown, path: string): ViberMessage {
  const fields = objectAt(value, path);
  const type = nonEmptyString(fields.type, `${path}.type`);
  if (type !== 'contact') return { ...fields, type };
  const contact = objectAt(fields.contact, `${path}.contact`);
  return { ...fields, type, contact: { ...contact, phone_number: nonEmptyString(contact.phone_number, `${path}.contact.phone_number`) } };
}

function objectAt(value: unknown, path: string): Record<string, unknown> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  throw new Error(`${path} must be an object, got ${describe(value)}`);
}

function nonEmptyString(value: unknown, path: string): string {
  if (typeof value === 'string' && value !== '') return value;
  throw new Error(`${path} must be non-empty text, got ${describe(value)}`);
}

/** What kind of value was there, without the value itself. */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (value === '') return 'empty text';
  return typeof value === 'string' ? 'text' : `a ${typeof value}`;
}
