import type { WhatsAppStatus } from '../../activities/opt-in/inbound-events.ts';

/**
 * A customer's message to the business: typed text, the text of a template's quick-reply button they tapped, or
 * the title of the reply button or list row they picked in an interactive message.
 */
export interface WhatsAppInboundText {
  /** Meta's id of the message (`wamid....`). */
  providerMessageId: string;
  /** The sender as E.164, with `+`. */
  from: string;
  text: string;
  at: Date;
  /** What they tapped: a template's quick reply (`button`, id = its payload) or an interactive button or row, by our id. */
  reply?: { kind: 'button' | 'button_reply' | 'list_reply'; id: string; title: string };
  /** The wamid of our message they answered, when Meta names it. */
  inReplyTo?: string;
}

/** A `message_template_status_update`: Meta's review (or later quality) decision on a template. */
export interface TemplateStatusUpdate {
  templateId: string;
  name: string;
  language: string;
  /** APPROVED, REJECTED, PAUSED, DISABLED, ... as Meta names it. */
  event: string;
  /** `NONE` when approved; the rejection or pause reason otherwise. */
  reason: string;
}

/** What one webhook POST reports, in the order Meta listed them. */
export interface WhatsAppNotification {
  /** Statuses of messages we sent. */
  statuses: WhatsAppStatus[];
  /** Customers' messages. */
  messages: WhatsAppInboundText[];
  templateStatuses: TemplateStatusUpdate[];
}

const STATUSES: readonly string[] = ['sent', 'delivered', 'read', 'failed'];

/** The request body is not a WhatsApp Business Account notification. */
export class WhatsAppWebhookInvalid extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WhatsAppWebhookInvalid';
  }
}

/**
 * Reads a notification of the `messages` and `message_template_status_update` fields. Fields Meta adds later are
 * ignored, as are changes of other fields, statuses Meta may add (like `deleted`) and message types that carry no
 * text (images, reactions);
 * a body without the envelope, or a status or message without the fields the spec requires, is refused.
 */
export function parseWhatsAppWebhook(body: unknown): WhatsAppNotification {
  const notification = record(body, 'the body');
  if (notification.object !== 'whatsapp_business_account') {
    throw new WhatsAppWebhookInvalid(`object: expected "whatsapp_business_account", got ${describe(notification.object)}`);
  }
  const parsed: WhatsAppNotification = { statuses: [], messages: [], templateStatuses: [] };
  list(notification.entry, 'entry').forEach((entryValue, e) => {
    const entry = record(entryValue, `entry[${e}]`);
    list(entry.changes, `entry[${e}].changes`).forEach((changeValue, c) => {
      const where = `entry[${e}].changes[${c}]`;
      const change = record(changeValue, where);
      if (change.field === 'message_template_status_update') {
        parsed.templateStatuses.push(templateStatusOf(record(change.value, `${where}.value`), `${where}.value`));
        return;
      }
      if (change.field !== 'messages') return;
      const value = record(change.value, `${where}.value`);
      optionalList(value.statuses, `${where}.value.statuses`).forEach((status, s) => {
        const read = statusOf(record(status, `${where}.value.statuses[${s}]`), `${where}.value.statuses[${s}]`);
        if (read !== undefined) parsed.statuses.push(read);
      });
      optionalList(value.messages, `${where}.value.messages`).forEach((message, m) => {
        const read = textOf(record(message, `${where}.value.messages[${m}]`), `${where}.value.messages[${m}]`);
        if (read !== undefined) parsed.messages.push(read);
      });
    });
  });
  return parsed;
}

function statusOf(status: Record<string, unknown>, where: string): WhatsAppStatus | undefined {
  const wamid = text(status.id, `${where}.id`);
  const waId = text(status.recipient_id, `${where}.recipient_id`);
  const at = epochSeconds(status.timestamp, `${where}.timestamp`);
  const state = text(status.status, `${where}.status`);
  if (!STATUSES.includes(state)) return undefined;
  const errorCodes = optionalList(status.errors, `${where}.errors`)
    .map((error) => (typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined))
    .filter((code): code is number => typeof code === 'number');
  const parsed: WhatsAppStatus = { wamid, status: state as WhatsAppStatus['status'], waId, at, errorCodes };
  if (typeof status.biz_opaque_callback_data === 'string') parsed.callbackData = status.biz_opaque_callback_data;
  return parsed;
}

function textOf(message: Record<string, unknown>, where: string): WhatsAppInboundText | undefined {
  const providerMessageId = text(message.id, `${where}.id`);
  const from = text(message.from, `${where}.from`);
  const at = epochSeconds(message.timestamp, `${where}.timestamp`);
  let body: string;
  let reply: WhatsAppInboundText['reply'];
  if (message.type === 'text') body = text(record(message.text, `${where}.text`).body, `${where}.text.body`);
  else if (message.type === 'button') {
    const button = record(message.button, `${where}.button`);
    body = text(button.text, `${where}.button.text`);
    reply = { kind: 'button', id: typeof button.payload === 'string' && button.payload !== '' ? button.payload : body, title: body };
  } else if (message.type === 'interactive') {
    const interactive = record(message.interactive, `${where}.interactive`);
    const kind = interactive.type;
    if (kind !== 'button_reply' && kind !== 'list_reply') return undefined;
    const picked = record(interactive[kind], `${where}.interactive.${kind}`);
    body = text(picked.title, `${where}.interactive.${kind}.title`);
    reply = { kind, id: text(picked.id, `${where}.interactive.${kind}.id`), title: body };
  } else return undefined;
  const context = message.context;
  const inReplyTo = typeof context === 'object' && context !== null ? (context as { id?: unknown }).id : undefined;
  return {
    providerMessageId,
    from: `+${from.replace(/^\+/, '')}`,
    text: body,
    at,
    ...(reply === undefined ? {} : { reply }),
    ...(typeof inReplyTo === 'string' && inReplyTo !== '' ? { inReplyTo } : {}),
  };
}

function templateStatusOf(value: Record<string, unknown>, where: string): TemplateStatusUpdate {
  const id = value.message_template_id;
  if ((typeof id !== 'number' || !Number.isSafeInteger(id)) && (typeof id !== 'string' || !/^\d+$/.test(id))) {
    throw new WhatsAppWebhookInvalid(`${where}.message_template_id: expected a template id, got ${describe(id)}`);
  }
  return {
    templateId: String(id),
    name: text(value.message_template_name, `${where}.message_template_name`),
    language: text(value.message_template_language, `${where}.message_template_language`),
    event: text(value.event, `${where}.event`),
    reason: typeof value.reason === 'string' && value.reason !== '' ? value.reason : 'NONE',
  };
}

function record(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new WhatsAppWebhookInvalid(`${where}: expected an object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

function list(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw new WhatsAppWebhookInvalid(`${where}: expected an array, got ${describe(value)}`);
  return value;
}

function optionalList(value: unknown, where: string): unknown[] {
  return value === undefined || value === null ? [] : list(value, where);
}

function text(value: unknown, where: string): string {
  if (typeof value !== 'string' || value === '') throw new WhatsAppWebhookInvalid(`${where}: expected a non-empty string, got ${describe(value)}`);
  return value;
}

/** Meta writes times as strings of epoch seconds. */
function epochSeconds(value: unknown, where: string): Date {
  const seconds = text(value, where);
  if (!/^\d+$/.test(seconds)) throw new WhatsAppWebhookInvalid(`${where}: expected epoch seconds, got ${describe(value)}`);
  return new Date(Number(seconds) * 1000);
}

/** A wrong value's kind; a string only when it is a plain word, since it may be someone's number or message. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value !== 'string') return typeof value;
  return /^[a-z_]{1,40}$/i.test(value) ? JSON.stringify(value) : `a string of ${value.length} characters`;
}
