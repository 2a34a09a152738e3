import { setTimeout as sleep } from 'node:timers/promises';
import { reportRateLimitWait } from '../metrics/rate-limit-waits.ts';

/**
 * At most `requests` starts within any rolling window of `intervalMs`, shared by every caller in the
 * process. Callers are served in the order they asked (a chain of turns), so a busy caller cannot starve
 * the others. A named limit reports each request's wait to the worker's metrics.
 */
export class SlidingWindowLimit {
  readonly #requests: number;
  readonly #intervalMs: number;
  readonly #name: string | undefined;
  /** Start times of the most recent requests, oldest first; never longer than `#requests`. */
  readonly #starts: number[] = [];
  #lastTurn: Promise<void> = Promise.resolve();

  constructor(options: { requests: number; intervalMs: number; name?: string }) {
    if (!Number.isInteger(options.requests) || options.requests < 1 || !(options.intervalMs > 0)) {
      throw new Error(`SlidingWindowLimit needs requests >= 1 and intervalMs > 0, got ${JSON.stringify(options)}`);
    }
    this.#requests = options.requests;
    this.#intervalMs = options.intervalMs;
    this.#name = options.name;
  }

  take(): Promise<void> {
    const asked = performance.now();
    const turn = this.#lastTurn.then(() => this.#waitForRoom());
    this.#lastTurn = turn;
    const name = this.#name;
    return name === undefined ? turn : turn.then(() => reportRateLimitWait(name, (performance.now() - asked) / 1000));
  }

  async #waitForRoom(): Promise<void> {
    for (;;) {
      const now = performance.now();
      if (this.#starts.length < this.#requests) {
        this.#starts.push(now);
        return;
      }
      const wait = this.#starts[0]! + this.#intervalMs - now;
      if (wait <= 0) {
        this.#starts.shift();
        continue;
      }
      // Timers may fire a little early; the loop checks again rather than trusting them.
      await sleep(Math.ceil(wait));
    }
  }
}
