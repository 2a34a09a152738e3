import type { SourceRecord } from '../../activities/extract/source-record.ts';
import type { PlivoMessage } from './messages-client.ts';
import { parseMessageTime } from './plivo-time.ts';

/**
 * Fields that would hold what a customer wrote or was sent. Plivo's list carries none today; should one
 * appear, it stays out of staging, which keeps who and when, never what was said.
 */
const MESSAGE_TEXT_FIELDS = new Set(['text', 'message_text', 'message_body', 'body', 'content']);

const ISO_COUNTRY = /^[A-Za-z]{2}$/;

/**
 * One Plivo message as a staging record. The customer is the sender of an inbound message and the
 * recipient of an outbound one; the other number is the business's own.
 */
export function plivoMessageToSourceRecord(message: PlivoMessage): SourceRecord {
  const direction = message.message_direction === 'inbound' || message.message_direction === 'outbound' ? message.message_direction : null;
  const customerNumber = direction === 'inbound' ? message.from_number : direction === 'outbound' ? message.to_number : null;
  const micros = typeof message.message_time === 'string' ? parseMessageTime(message.message_time) : null;
  return {
    key: message.message_uuid,
    channel: 'sms',
    phone: phoneOf(customerNumber),
    name: null,
    country: direction === 'outbound' ? destinationCountry(message.destination_country_iso2) : null,
    interactionAt: micros === null ? null : new Date(Math.floor(micros / 1000)),
    direction,
    deliveryStatus: direction === 'outbound' && typeof message.message_state === 'string' ? message.message_state : null,
    viberUserId: null,
    fileLine: null,
    raw: Object.fromEntries(Object.entries(message).filter(([field]) => !MESSAGE_TEXT_FIELDS.has(field))),
  };
}

/** Plivo writes numbers as digits without `+`: all digits is an international number, anything else (a sender name) stays as it is. */
function phoneOf(number: unknown): string | null {
  if (typeof number !== 'string' || number.trim() === '') return null;
  const trimmed = number.trim();
  return /^\d+$/.test(trimmed) ? `+${trimmed}` : trimmed;
}

/** Newer records name the destination's country: for an outbound message, that is where the customer is. */
function destinationCountry(value: unknown): string | null {
  return typeof value === 'string' && ISO_COUNTRY.test(value) ? value.toUpperCase() : null;
}
