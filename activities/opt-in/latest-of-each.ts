/**
 * For each key, the item with the latest time; of two with the same time, the later in the list: what applying
 * them one by one with a "not older than" guard would leave.
 */
export function latestOfEach<T>(items: readonly T[], keyOf: (item: T) => string, timeOf: (item: T) => Date): T[] {
  const latest = new Map<string, T>();
  for (const item of items) {
    const key = keyOf(item);
    const kept = latest.get(key);
    if (kept === undefined || timeOf(kept).getTime() <= timeOf(item).getTime()) latest.set(key, item);
  }
  return [...latest.values()];
}
