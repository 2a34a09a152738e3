import type { QuarantinedLine, SourceRecord } from './source-record.ts';

/** What one pass of an extraction reads: records that changed from `since` (null: everything) until `until`. */
export interface ExtractionPass {
  since: Date | null;
  until: Date;
}

/**
 * A page of a source and the cursor just after it. The page's records, its quarantined lines and the cursor
 * are committed in one transaction, so a crash between pages neither loses nor repeats a record.
 */
export interface SourcePage {
  records: SourceRecord[];
  quarantined: QuarantinedLine[];
  /** Where reading resumes after this page; meaningful only to the reader that made it. */
  cursor: unknown;
}

/**
 * Reads a source page by page from a cursor (null: from the start of the pass). The iteration ends when the
 * source is exhausted. A reader throws `ExtractionPaused` when it must wait (a rate window, a report still being
 * made) and vendor failures as they are: Temporal retries them and the next attempt resumes from the checkpoint.
 */
export interface SourceReader {
  /** The file a reader's quarantined lines come from, for the quarantine table. */
  file: string;
  pages(cursor: unknown): AsyncIterable<SourcePage>;
}

export const RECORDS_PER_PAGE = 1000;
