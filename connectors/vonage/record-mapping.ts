import type { SourceRecord } from '../../activities/extract/source-record.ts';
import type { VonageRecord } from './reports-client.ts';
import { parseVonageTime } from './vonage-time.ts';

/**
 * One Vonage SMS record as staging keeps it. The customer is the far end of the message: the sender of an
 * inbound one, the recipient of an outbound one. Message texts are never kept.
 */
export function vonageRecordToSourceRecord(record: VonageRecord, fileLine: number | null): SourceRecord {
  const key = record.message_id?.trim();
  if (!key) throw new Error(`Vonage record${fileLine === null ? '' : ` on line ${fileLine}`} has no message_id`);
  const direction = record.direction === 'inbound' || record.direction === 'outbound' ? record.direction : null;
  const customer = direction === 'inbound' ? record.from : direction === 'outbound' ? record.to : undefined;
  const { message_body: _messageBody, ...raw } = record;
  return {
    key,
    channel: 'sms',
    phone: e164Candidate(customer),
    name: null,
    country: record.country?.trim().toUpperCase() || null,
    interactionAt: record.date_received === undefined ? null : parseVonageTime(record.date_received),
    direction,
    deliveryStatus: direction === 'outbound' ? record.status?.trim().toLowerCase() || null : null,
    viberUserId: null,
    fileLine,
    raw,
  };
}

/** Vonage writes MSISDNs as international digits without `+`; anything else is kept as written for cleaning to judge. */
function e164Candidate(msisdn: string | undefined): string | null {
  const number = msisdn?.trim();
  if (!number) return null;
  return /^\d+$/.test(number) ? `+${number}` : number;
}
