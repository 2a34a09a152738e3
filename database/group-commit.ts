/**
 * Items that arrive while batches are being written wait and go together in the next one (group commit): an item
 * that finds a writer free goes at once, and under load the transactions grow instead of queueing. Up to `writers`
 * batches are written side by side, so one waiting on the database does not hold up the rest. `write` answers each
 * item of its batch, in order, so one refused item fails only its own caller.
 */
export function groupCommit<T, R>(
  { maxBatch, writers }: { maxBatch: number; writers: number },
  write: (items: T[]) => Promise<PromiseSettledResult<R>[]>,
): (item: T) => Promise<R> {
  const waiting: { item: T; resolve: (result: R) => void; reject: (reason: unknown) => void }[] = [];
  let busy = 0;

  const drain = async (): Promise<void> => {
    while (waiting.length > 0) {
      const batch = waiting.splice(0, maxBatch);
      const results = await write(batch.map((w) => w.item)).catch((reason: unknown) => batch.map((): PromiseRejectedResult => ({ status: 'rejected', reason })));
      batch.forEach((w, i) => {
        const result = results[i]!;
        if (result.status === 'fulfilled') w.resolve(result.value);
        else w.reject(result.reason);
      });
    }
    busy--;
  };

  return (item) =>
    new Promise<R>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      if (busy >= writers) return;
      busy++;
      // After the I/O already read: the requests that arrived together start out in one batch.
      setImmediate(() => void drain());
    });
}
