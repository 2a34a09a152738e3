/**
 * The most arrivals (times in milliseconds, oldest first) that fit in any window shorter than `windowMs`: what a
 * vendor counting in rolling windows saw at its busiest, for an emulator to report against its limit.
 */
export function busiestWindow(arrivals: readonly number[], windowMs: number): number {
  let most = 0;
  let first = 0;
  for (let last = 0; last < arrivals.length; last++) {
    while (arrivals[last]! - arrivals[first]! >= windowMs) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}
