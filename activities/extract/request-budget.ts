import { setTimeout as sleep } from 'node:timers/promises';
import { reportRateLimitWait } from '../../metrics/rate-limit-waits.ts';

/** A vendor's published rate: at most `requests` within any rolling `intervalMs`. */
export interface RateLimit {
  requests: number;
  intervalMs: number;
}

/** Thrown by a reader when the next request may not start for a while: the workflow sleeps durably instead. */
export class ExtractionPaused extends Error {
  readonly waitMs: number;
  constructor(waitMs: number, reason: string) {
    super(`extraction paused for ${waitMs} ms: ${reason}`);
    this.waitMs = waitMs;
  }
}

// Requests reach the vendor a little after they start and not all equally late; the margin keeps the
// vendor's own rolling count under the limit.
const ARRIVAL_MARGIN = 0.1;
const MIN_MARGIN_MS = 100;
/** Longer waits end the activity so the workflow sleeps on a durable timer rather than a worker holding the slot. */
export const LONGEST_IN_ACTIVITY_WAIT_MS = 2000;

/**
 * Keeps one source's vendor requests within the vendor's rate. The start times of recent requests are stored
 * with the source's checkpoint before each request goes out, so a worker that resumes after a crash, or
 * another worker taking over, counts the requests the last one made. Its waits and pauses are reported to the
 * worker's metrics under `name`.
 */
export class RequestBudget {
  readonly #limit: RateLimit;
  readonly #times: number[];
  readonly #save: (times: number[]) => Promise<void>;
  readonly #windowMs: number;
  readonly #name: string;

  constructor(limit: RateLimit, times: number[], save: (times: number[]) => Promise<void>, name: string) {
    this.#limit = limit;
    this.#windowMs = limit.intervalMs + Math.max(MIN_MARGIN_MS, limit.intervalMs * ARRIVAL_MARGIN);
    this.#times = [...times];
    this.#save = save;
    this.#name = name;
  }

  /** Waits for room under the limit (briefly) or throws `ExtractionPaused`; then records the request. */
  async take(): Promise<void> {
    const asked = Date.now();
    for (;;) {
      const now = Date.now();
      while (this.#times.length > 0 && this.#times[0]! <= now - this.#windowMs) this.#times.shift();
      if (this.#times.length < this.#limit.requests) break;
      const wait = this.#times[0]! + this.#windowMs - now;
      if (wait > LONGEST_IN_ACTIVITY_WAIT_MS) {
        reportRateLimitWait(this.#name, (now - asked + wait) / 1000);
        throw new ExtractionPaused(wait, `${this.#limit.requests} requests per ${this.#limit.intervalMs} ms used`);
      }
      await sleep(wait);
    }
    reportRateLimitWait(this.#name, (Date.now() - asked) / 1000);
    this.#times.push(Date.now());
    await this.#save(this.#times);
    // The request goes out now, after the save: the time counted is the later one.
    this.#times[this.#times.length - 1] = Date.now();
  }
}
