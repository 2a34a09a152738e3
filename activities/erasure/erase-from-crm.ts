import type { CrmName } from '../../connectors/crm-contact.ts';
import { pendingNumber, recordRemoved } from '../../privacy/erasure-requests.ts';
import type { ActivityDependencies } from '../dependencies.ts';

/**
 * Deletes the person's records from one CRM through its delete API, or says the worker has no such CRM (null).
 * `forget` is idempotent: a retry after a success finds the records gone.
 */
export function eraseFromCrmActivity({ db, crms }: Pick<ActivityDependencies, 'db' | 'crms'>) {
  return async function eraseFromCrm(requestId: string, crm: CrmName): Promise<number | null> {
    const client = crms[crm];
    if (!client) return null;
    const e164 = await pendingNumber(db, requestId);
    if (e164 === null) return 0;
    const { records } = await client.forget(e164);
    await recordRemoved(db, requestId, { [`crm:${crm}`]: records });
    return records;
  };
}
