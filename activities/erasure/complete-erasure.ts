import { closeErasureRequest, type RemovedCounts } from '../../privacy/erasure-requests.ts';
import type { ActivityDependencies } from '../dependencies.ts';

/** Clears the number from the request (and from any other pending request for it) and marks it done; returns the counts. */
export function completeErasureActivity({ db, clock }: Pick<ActivityDependencies, 'db' | 'clock'>) {
  return async function completeErasure(requestId: string): Promise<RemovedCounts> {
    return (await closeErasureRequest(db, requestId, clock())).removed;
  };
}
