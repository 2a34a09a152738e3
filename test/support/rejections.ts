import { ApplicationFailure } from '@temporalio/common';
import { expect } from 'vitest';

/** What a promise that must fail rejected with; a promise that resolves fails the test. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error,
  );
}

/** The failure a connector must raise for Temporal: an `ApplicationFailure`, retryable or not. */
export async function applicationFailureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await rejectionOf(promise);
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}
