import { describe, it, expect } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { SlidingWindowLimit } from './sliding-window-limit.ts';

const WINDOW = { requests: 5, intervalMs: 200 };

/** Takes `count` turns concurrently and returns when each caller was let through, in call order. */
async function takeConcurrently(limit: SlidingWindowLimit, count: number): Promise<number[]> {
  return Promise.all(Array.from({ length: count }, () => limit.take().then(() => performance.now())));
}

/** The most starts found in any window of `intervalMs` that begins at a start. */
function busiestWindow(starts: readonly number[], intervalMs: number): number {
  const sorted = [...starts].sort((a, b) => a - b);
  return Math.max(...sorted.map((start) => sorted.filter((t) => t >= start && t < start + intervalMs).length));
}

describe('SlidingWindowLimit', () => {
  it('lets a burst up to the limit through at once and spreads the rest so no window holds more', async () => {
    const limit = new SlidingWindowLimit(WINDOW);
    const starts = await takeConcurrently(limit, 17);

    expect(busiestWindow(starts, WINDOW.intervalMs)).toBe(WINDOW.requests);
    expect(starts[WINDOW.requests - 1]! - starts[0]!).toBeLessThan(WINDOW.intervalMs / 2);
  });

  it('serves concurrent callers in the order they asked', async () => {
    const limit = new SlidingWindowLimit(WINDOW);
    const order: number[] = [];
    await Promise.all(Array.from({ length: 12 }, (_, caller) => limit.take().then(() => order.push(caller))));

    expect(order).toEqual(Array.from({ length: 12 }, (_, caller) => caller));
  });

  it('counts starts in a rolling window, not in fixed slots', async () => {
    const limit = new SlidingWindowLimit(WINDOW);
    const early = await takeConcurrently(limit, 3);
    await sleep(WINDOW.intervalMs / 2);
    const late = await takeConcurrently(limit, 5);
    const starts = [...early, ...late];

    expect(busiestWindow(starts, WINDOW.intervalMs)).toBeLessThanOrEqual(WINDOW.requests);
    // The late callers beyond the limit waited for the early ones to leave the window.
    expect(late[4]! - early[0]!).toBeGreaterThanOrEqual(WINDOW.intervalMs - 1);
  });

  it('refuses a limit that could never let anything through', () => {
    expect(() => new SlidingWindowLimit({ requests: 0, intervalMs: 200 })).toThrow();
  });
});
