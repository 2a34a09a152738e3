import type { PlivoMessagesClient } from '../../connectors/plivo/messages-client.ts';
import { plivoMessageToSourceRecord } from '../../connectors/plivo/message-mapping.ts';
import type { PlivoSource } from '../../workflows/migration-input.ts';
import type { RateLimit, RequestBudget } from './request-budget.ts';
import type { ExtractionPass, SourcePage, SourceReader } from './source-reader.ts';
import { timeWindows } from './time-windows.ts';

// Day windows keep offsets small, so a page is cheap for Plivo to find and a window is read again quickly if need be.
const WINDOW_MS = 24 * 60 * 60 * 1000;

interface PlivoCursor {
  window: number;
  offset: number;
}

export interface PlivoReaderContext {
  client: PlivoMessagesClient;
  /** The list endpoint's rate: 20 requests a minute. */
  listRate: RateLimit;
  pass: ExtractionPass;
  budget(limit: RateLimit): RequestBudget;
}

/**
 * SMS history from Plivo's Message API, 20 messages a request and 20 requests a minute: a large history takes
 * hours, spent asleep on durable timers between rate windows (the budget pauses the extraction).
 */
export function plivoSourceReader(source: PlivoSource, context: PlivoReaderContext): SourceReader {
  const windows = timeWindows(context.pass.since ?? new Date(source.from), context.pass.until, WINDOW_MS);
  return {
    file: 'plivo-messages',
    async *pages(cursor): AsyncIterable<SourcePage> {
      const requests = context.budget(context.listRate);
      let at: PlivoCursor = (cursor as PlivoCursor | null) ?? { window: 0, offset: 0 };
      while (at.window < windows.length) {
        const window = windows[at.window]!;
        await requests.take();
        const page = await context.client.listMessages({ timeFrom: window.start, timeUntil: window.end, offset: at.offset });
        at = page.hasMore ? { window: at.window, offset: at.offset + page.messages.length } : { window: at.window + 1, offset: 0 };
        yield { records: page.messages.map(plivoMessageToSourceRecord), quarantined: [], cursor: at };
      }
    },
  };
}
