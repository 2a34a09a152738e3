import type { Selectable } from 'kysely';
import { mappedField, writtenDate, type SourceRecord } from '../../activities/extract/source-record.ts';
import type { ViberSubscriberTable } from '../../database/schema.ts';
import type { ViberSource } from '../../workflows/migration-input.ts';

/** The columns of a business's own Viber subscriber records file, by header name, as the source names them. */
export type ViberRecordColumns = NonNullable<ViberSource['recordColumns']>;

/**
 * A subscriber as the webhook recorded them. The key carries the time the row last changed, so an incremental
 * pass stages a changed subscriber again and a re-read unchanged one once. A subscriber who never shared a
 * phone is kept, with phone null: later stages count them as needing a phone share.
 */
export function viberSubscriberToSourceRecord(row: Selectable<ViberSubscriberTable>): SourceRecord {
  return {
    key: `subscriber:${row.user_id}@${row.updated_at.toISOString()}`,
    channel: 'viber',
    phone: row.phone,
    name: row.name,
    country: row.country?.toUpperCase() ?? null,
    interactionAt: row.last_event_at,
    direction: null,
    deliveryStatus: null,
    viberUserId: row.user_id,
    fileLine: null,
    raw: {
      user_id: row.user_id,
      name: row.name,
      country: row.country,
      language: row.language,
      phone: row.phone,
      subscribed: row.subscribed,
      subscribed_at: row.subscribed_at?.toISOString() ?? null,
      unsubscribed_at: row.unsubscribed_at?.toISOString() ?? null,
    },
  };
}

/** A row of the business's own subscriber records file, keyed by its content so an unchanged row is staged once. */
export function viberRecordToSourceRecord(
  fields: Record<string, string>,
  columns: ViberRecordColumns,
  fileLine: number,
  fingerprint: string,
): SourceRecord {
  const column = (name: string | undefined) => mappedField(fields, name);
  return {
    key: `record:${fingerprint}`,
    channel: 'viber',
    phone: column(columns.phone),
    name: column(columns.name),
    country: column(columns.country)?.toUpperCase() ?? null,
    interactionAt: writtenDate(column(columns.subscribedAt)),
    direction: null,
    deliveryStatus: null,
    viberUserId: column(columns.viberUserId),
    fileLine,
    raw: fields,
  };
}
