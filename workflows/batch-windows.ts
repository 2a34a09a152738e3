import { workflowInfo } from '@temporalio/workflow';

/**
 * Works through batches `from` … `total - 1` with at most `window` in flight, and stops starting new ones once
 * the server suggests continuing as new. Batches start in order and the returned cursor moves only over finished
 * ones (every batch below it is done), so it is always a safe place to resume from; `onCursor` sees it move.
 */
export async function inWindows(
  from: number,
  total: number,
  window: number,
  work: (batchNo: number) => Promise<void>,
  onCursor: (cursor: number) => void = () => {},
): Promise<number> {
  let cursor = from;
  let next = from;
  const finished = new Set<number>();
  const inFlight = new Map<number, Promise<void>>();
  while (next < total || inFlight.size > 0) {
    while (inFlight.size < window && next < total && !workflowInfo().continueAsNewSuggested) {
      const batchNo = next++;
      inFlight.set(
        batchNo,
        work(batchNo).then(() => {
          inFlight.delete(batchNo);
          finished.add(batchNo);
          while (finished.delete(cursor)) cursor++;
          onCursor(cursor);
        }),
      );
    }
    if (inFlight.size === 0) break;
    await Promise.race(inFlight.values());
  }
  return cursor;
}
