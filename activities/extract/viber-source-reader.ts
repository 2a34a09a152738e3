import { ApplicationFailure } from '@temporalio/common';
import type { Kysely, Selectable } from 'kysely';
import { readCsvFile } from '../../connectors/csv-file/csv-file-reader.ts';
import type { ViberBotClient } from '../../connectors/viber/bot-client.ts';
import { viberRecordToSourceRecord, viberSubscriberToSourceRecord } from '../../connectors/viber/subscriber-mapping.ts';
import { takeUserDetailsCall } from '../../connectors/viber/user-details-allowance.ts';
import type { Database, ViberSubscriberTable } from '../../database/schema.ts';
import type { ViberSource } from '../../workflows/migration-input.ts';
import { DEFAULT_VIBER_BOT } from '../../connectors/viber/subscriber-book.ts';
import { filePages } from './csv-source-reader.ts';
import { RECORDS_PER_PAGE, type ExtractionPass, type SourcePage, type SourceReader } from './source-reader.ts';

type ViberCursor = { phase: 'subscribers'; afterUpdatedAt: string | null; afterUserId: string } | { phase: 'records'; file: unknown };

export interface ViberReaderContext {
  db: Kysely<Database>;
  /** Absent when the worker has no Viber token: subscribers are staged as the webhook recorded them. */
  bot: ViberBotClient | undefined;
  pass: ExtractionPass;
  clock: () => Date;
}

/**
 * The bot's subscribers as the webhook recorded them (those that changed within the pass), then the business's
 * own subscriber records file if it has one. A subscriber who never shared a phone is staged all the same.
 */
export function viberSourceReader(source: ViberSource, context: ViberReaderContext): SourceReader {
  if (source.enrich === true && context.bot === undefined) {
    throw ApplicationFailure.nonRetryable(`source "${source.name}": enrich needs the worker's VIBER_AUTH_TOKEN`, 'MissingSettings');
  }
  const enrich = source.enrich !== false && context.bot !== undefined;
  const bot = source.bot ?? DEFAULT_VIBER_BOT;
  return {
    file: source.recordsPath ?? 'viber-subscribers',
    async *pages(cursor): AsyncIterable<SourcePage> {
      let at: ViberCursor = (cursor as ViberCursor | null) ?? { phase: 'subscribers', afterUpdatedAt: null, afterUserId: '' };
      while (at.phase === 'subscribers') {
        const subscribers = await changedSubscribers(context, bot, at);
        const last = subscribers.at(-1);
        at = last ? { phase: 'subscribers', afterUpdatedAt: last.updated_at.toISOString(), afterUserId: last.user_id } : { phase: 'records', file: null };
        const records = [];
        for (const subscriber of subscribers) records.push(viberSubscriberToSourceRecord(enrich ? await enriched(context, subscriber) : subscriber));
        if (records.length > 0 || source.recordsPath === undefined) yield { records, quarantined: [], cursor: at };
      }
      if (source.recordsPath === undefined || source.recordColumns === undefined) return;
      const columns = source.recordColumns;
      for await (const page of filePages(source.name, source.recordsPath, readCsvFile(source.recordsPath), at.file, {
        columns: Object.values(columns).filter((column) => column !== undefined),
        record: (fields, fileLine, fingerprint) => viberRecordToSourceRecord(fields, columns, fileLine, fingerprint),
      })) {
        yield { ...page, cursor: { phase: 'records', file: page.cursor } satisfies ViberCursor };
      }
    },
  };
}

function changedSubscribers({ db, pass }: ViberReaderContext, bot: string, at: ViberCursor & { phase: 'subscribers' }) {
  let query = db.selectFrom('viber_subscribers').selectAll().where('bot', '=', bot).where('updated_at', '<=', pass.until);
  if (pass.since) query = query.where('updated_at', '>', pass.since);
  if (at.afterUpdatedAt) query = query.where((e) => e(e.refTuple('updated_at', 'user_id'), '>', e.tuple(new Date(at.afterUpdatedAt!), at.afterUserId)));
  return query.orderBy('updated_at').orderBy('user_id').limit(RECORDS_PER_PAGE).execute();
}

/**
 * Fills a subscriber's missing name or country from `get_user_details`, within Viber's two calls per user per
 * 12 hours. What it learns is kept without touching `updated_at`: a retried page reads the same row and key.
 */
async function enriched(context: ViberReaderContext, subscriber: Selectable<ViberSubscriberTable>): Promise<Selectable<ViberSubscriberTable>> {
  if (subscriber.name !== null && subscriber.country !== null) return subscriber;
  if (!(await takeUserDetailsCall(context.db, subscriber.user_id, context.clock()))) return subscriber;
  const details = await context.bot!.getUserDetails(subscriber.user_id);
  if (typeof details === 'string') return subscriber;
  const filled = {
    name: subscriber.name ?? details.name,
    country: subscriber.country ?? details.country?.toUpperCase() ?? null,
    language: subscriber.language ?? details.language,
  };
  await context.db.updateTable('viber_subscribers').set(filled).where('bot', '=', subscriber.bot).where('user_id', '=', subscriber.user_id).execute();
  return { ...subscriber, ...filled };
}
