/**
 * One record as a source gave it, before any cleaning: what staging keeps of a CSV row, a Vonage or Plivo
 * message, or a Viber subscriber. Every source reader yields these, so staging has one shape.
 */
export interface SourceRecord {
  /**
   * The vendor's own id for the record (Vonage `message_id`, Plivo `message_uuid`, a Viber user id with the time
   * it changed), or for a file the record's content fingerprint. A record read twice (a retried page, a window
   * read again after its cursor expired, an unchanged row in a re-read file) is staged once.
   */
  key: string;
  /** The channel the business reaches this customer on today. */
  channel: 'sms' | 'viber';
  /** The customer's number as the source wrote it (an MSISDN, national digits, with or without `+`), if any. */
  phone: string | null;
  name: string | null;
  /** ISO 3166 alpha-2, upper case, when the source says where the customer is. */
  country: string | null;
  /** When the customer last interacted, by this record. */
  interactionAt: Date | null;
  /** For a message: who sent it, seen from the business. */
  direction: 'inbound' | 'outbound' | null;
  /** For an outbound message: the vendor's last delivery status (`delivered`, `failed`, ...). */
  deliveryStatus: string | null;
  viberUserId: string | null;
  /** The 1-based line in a file where the record starts; null for API sources. */
  fileLine: number | null;
  /** Every field as the source gave it, kept verbatim for provenance and backups. */
  raw: Record<string, unknown>;
}

/** A piece of a file that could not be read as a record: kept, with where it was and why. */
export interface QuarantinedLine {
  /** 1-based line in the file where the broken record starts. */
  fileLine: number;
  reason: string;
  /** The text as read (decoded as well as it could be). */
  content: string;
}

/** A mapped column's value in a file row: trimmed, and null when the mapping names no column or the cell is empty. */
export function mappedField(fields: Record<string, string>, column: string | undefined): string | null {
  return column === undefined ? null : fields[column]?.trim() || null;
}

/** A date as a source wrote it; one that does not read as a date is left out of the merge (the row keeps it in `raw`). */
export function writtenDate(text: string | null | undefined): Date | null {
  if (!text) return null;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date;
}
