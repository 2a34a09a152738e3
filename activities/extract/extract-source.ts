import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time.js';
import type { Source } from '../../workflows/migration-input.ts';
import type { ActivityDependencies } from '../dependencies.ts';
import { beginPass, commitPage, finishPass, saveRequestTimes } from './extract-checkpoint.ts';
import { openSourceReader, passBounds } from './open-source-reader.ts';
import { ExtractionPaused, RequestBudget } from './request-budget.ts';

/** An activity gives its slot back after this long, so attempts stay short and a retry counts only recent failures. */
const SLICE_MS = 60_000;
const HEARTBEAT_EVERY_MS = 3000;

export interface ExtractSourceRequest {
  migrationId: string;
  source: Source;
  /** The migration run asking (its first run id): it resumes its own pass. */
  passId: string;
  incremental: boolean;
}

export interface ExtractSourceProgress {
  /** The pass is read to its end. */
  done: boolean;
  /** When not done: how long the workflow should sleep before asking again (0: at once). */
  waitMs: number;
  pass: number;
  /** Records staged from this source, over every pass. */
  rows: number;
  quarantined: number;
  /** The vendor failure that ended this slice early, if one did. */
  interruption?: string;
}

/**
 * Reads one source page by page into staging. Each page commits with its cursor, so whichever attempt or worker
 * comes next resumes at the next page. Returns when the pass is done, when the source asks to wait (a rate
 * window, a report being made) or after a slice of work; the workflow sleeps as told and asks again.
 */
export function extractSourceActivity({ db, sources, clock }: Pick<ActivityDependencies, 'db' | 'sources' | 'clock'>) {
  return async function extractSource(request: ExtractSourceRequest): Promise<ExtractSourceProgress> {
    const context = Context.current();
    const key = { migrationId: request.migrationId, source: request.source.name };
    let checkpoint = await beginPass(db, {
      ...key,
      kind: request.source.kind,
      passId: request.passId,
      incremental: request.incremental,
      bounds: (watermark) => passBounds(request.source, watermark, clock()),
    });
    const progress = (done: boolean, waitMs: number) => ({ done, waitMs, pass: checkpoint.pass, rows: checkpoint.rows_staged, quarantined: checkpoint.quarantined });
    if (checkpoint.done) return progress(true, 0);

    const reader = openSourceReader(request.source, {
      db,
      connectors: sources,
      pass: { since: checkpoint.since, until: checkpoint.until ?? clock() },
      budget: (limit) => new RequestBudget(limit, checkpoint.request_times, (times) => saveRequestTimes(db, key, times), `${request.source.kind}-extraction`),
      clock,
    });
    const sliceEnds = Date.now() + SLICE_MS;
    let pagesThisAttempt = 0;
    // A vendor page may take long to come; beating on a timer, not per page, lets Temporal tell a slow page from a dead worker.
    const beating = setInterval(() => context.heartbeat(checkpoint.rows_staged), HEARTBEAT_EVERY_MS);
    try {
      for await (const page of reader.pages(checkpoint.cursor)) {
        checkpoint = await commitPage(db, checkpoint, reader.file, page);
        pagesThisAttempt++;
        context.heartbeat(checkpoint.rows_staged);
        if (Date.now() > sliceEnds) return progress(false, 0);
      }
    } catch (error) {
      if (error instanceof ExtractionPaused) return progress(false, error.waitMs);
      // A passing vendor failure after pages were staged ends the slice instead of failing it: Temporal's backoff
      // then grows only over attempts that staged nothing, not over a long read's scattered 5xx and 429 answers.
      if (pagesThisAttempt > 0 && isPassing(error)) return { ...progress(false, error.nextRetryDelay ? msToNumber(error.nextRetryDelay) : 0), interruption: error.message };
      throw error;
    } finally {
      clearInterval(beating);
    }
    checkpoint = await finishPass(db, checkpoint);
    return progress(true, 0);
  };
}

function isPassing(error: unknown): error is ApplicationFailure {
  return error instanceof ApplicationFailure && !error.nonRetryable;
}
