import type { WhatsAppStatus } from '../../activities/opt-in/inbound-events.ts';

/** A customer's message to the business: typed text, or the text of a template's quick-reply button they tapped. */
export interface WhatsAppInboundText {
  /** Meta's id of the message (`wamid....`). */
  providerMessageId: string;
  /** The sender as E.164, with `+`. */
  from: string;
  text: string;
  at: Date;
}

/** What one webhook POST reports: statuses of messages we sent and customers' messages, in the order Meta listed them. */
export interface WhatsAppNotification {
  statuses: WhatsAppStatus[];
  messages: WhatsAppInboundText[];
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
 * Reads a notification of the `messages` field. Fields Meta adds later are ignored, as are changes of other
 * fields, statuses Meta may add (like `deleted`) and message types that carry no text (images, reactions);
 * a body without the envelope, or a status or message without the fields the spec requires, is refused.
 */
export function parseWhatsAppWebhook(body: unknown): WhatsAppNotification {
  const notification = record(body, 'the body');
  if (notification.object !== 'whatsapp_business_account') {
    throw new WhatsAppWebhookInvalid(`object: expected "whatsapp_business_account", got ${describe(notification.object)}`);
  }
  const parsed: WhatsAppNotification = { statuses: [], messages: [] };
  list(notification.entry, 'entry').forEach((entryValue, e) => {
    const entry = record(entryValue, `entry[${e}]`);
    list(entry.changes, `entry[${e}].changes`).forEach((changeValue, c) => {
      const where = `entry[${e}].changes[${c}]`;
      const change = record(changeValue, where);
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
  if (message.type === 'text') body = text(record(message.text, `${where}.text`).body, `${where}.text.body`);
  else if (message.type === 'button') body = text(record(message.button, `${where}.button`).text, `${where}.button.text`);
  else return undefined;
  return { providerMessageId, from: `+${from.replace(/^\+/, '')}`, text: body, at };
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
