import { ApplicationFailure } from '@temporalio/common';
import { redactPhoneNumbers } from '../../privacy/redact-phone-numbers.ts';

/**
 * A file that cannot be read will not mend itself: the run fails with the reason instead of retrying forever.
 * A parser's message may quote the field it choked on, so numbers in it stay out of the history.
 */
export function sourceUnreadable(source: string, path: string, error: unknown): ApplicationFailure {
  if (error instanceof ApplicationFailure) return error;
  const code = (error as NodeJS.ErrnoException).code;
  const reason = code === 'ENOENT' ? 'the file does not exist' : redactPhoneNumbers(String((error as Error).message ?? error));
  return ApplicationFailure.nonRetryable(`source "${source}" (${path}): ${reason}`, 'SourceUnreadable');
}

/** Re-throws whatever reading `records` throws as `sourceUnreadable`, so only reading errors fail the run for good. */
export async function* readingOrUnreadable<T>(source: string, path: string, records: AsyncIterable<T>): AsyncIterable<T> {
  const iterator = records[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await iterator.next().catch((error: unknown) => {
        throw sourceUnreadable(source, path, error);
      });
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await iterator.return?.();
  }
}
