import { sql } from 'kysely';
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import { CRM_ALLOWANCE_SPENT, type CrmClient, type CrmName, type CrmWriteOutcome } from '../../connectors/crm-contact.ts';
import type { ActivityDependencies } from '../dependencies.ts';
import { countDueContacts, leaseDueContacts, releaseLeases, type DueContactsScope, type LeasedContact } from './crm-leases.ts';
import { readCrmContactRows, type CrmContactRow } from './crm-contact-rows.ts';
import { recordCrmWrite, type CrmWriter, type CrmWriteTally } from './crm-write-record.ts';

export interface CrmSyncRequest {
  crm: CrmName;
  /** One migration's contacts; without it, the contacts this CRM already has (the real-time updates). */
  migrationId?: string;
}

export interface CrmSyncSlice {
  /** What the slice did over all its attempts: a failed attempt's writes are counted once. */
  written: number;
  unchanged: number;
  failed: number;
  /** Contacts in scope still due after this slice: the workflow calls again while there are any. */
  due: number;
}

/** A slice ends after this long, so the workflow's progress moves and a dead worker loses little. */
const SLICE_MS = 20_000;
const HEARTBEAT_MS = 3_000;
const ANALYZE_EVERY = 10_000;
/** Counts of slices are read by the attempt that ends them; a slice still retried after this long is long lost. */
const SLICE_COUNTS_KEPT = '7 days';

/**
 * Writes the contacts the CRM has not received in their latest version, in the CRM's own write size, and stores
 * each answer before the next write. Leases keep any other writer (another slice, the real-time updates) off the
 * contacts in flight; a retried attempt takes its own leases back, so a contact whose answer was lost goes again.
 */
export function syncCrmChangesActivity({ db, crms }: Pick<ActivityDependencies, 'db' | 'crms'>) {
  return async function syncCrmChanges(request: CrmSyncRequest): Promise<CrmSyncSlice> {
    const client = crms[request.crm];
    if (!client) {
      throw ApplicationFailure.nonRetryable(`${request.crm} is not configured on this worker (see README.md, "Configuration")`, 'CrmNotConfigured');
    }
    const scope: DueContactsScope = { crm: request.crm, account: client.account, contacts: request.migrationId === undefined ? 'live' : { migrationId: request.migrationId } };
    const context = Context.current();
    const heartbeat = setInterval(() => context.heartbeat(), HEARTBEAT_MS);
    try {
      await client.prepare();
      // The merge may have just written a migration's contacts, and the last slice their states: plans from stale
      // statistics (a handful of rows where there are 100,000) turn the per-contact lookups into scans. The live
      // updates touch a few contacts at a time and leave the statistics to autovacuum.
      if (scope.contacts !== 'live') await sql`ANALYZE contacts, crm_sync_state`.execute(db);
      await db.deleteFrom('crm_sync_slices').where('started_at', '<', sql<Date>`now() - ${SLICE_COUNTS_KEPT}::interval`).execute();
      const deadline = Date.now() + SLICE_MS;
      // The same slice and tokens in every attempt of this activity: a retry takes back the leases its failed attempt
      // held, and adds to its counts.
      const execution = context.info.workflowExecution;
      const slice = [execution?.workflowId, execution?.runId, context.info.activityId].join('/');
      const writerNumbered = (writer: number): CrmWriter => ({ slice, token: `${slice}#${writer}` });
      const lease = oneAtATime(leaseInIdOrder(db, scope, leaseSizeFor(client)));
      let failed = false;
      const writers = await Promise.allSettled(
        Array.from({ length: writersFor(client) }, async (_, writer) => {
          while (Date.now() < deadline && !failed) {
            try {
              const written = await writeDueContacts(client, scope, writerNumbered(writer), lease);
              if (written === undefined) return;
              if (written.retryLater > 0 && written.written + written.failed + written.unchanged === 0) return;
            } catch (error) {
              failed = true;
              throw error;
            }
          }
        }),
      );
      // Thrown only once every writer has recorded its write in flight: the retry takes back the same leases, and
      // must not find a write of this attempt still under way on them.
      const failure = writers.find((writer) => writer.status === 'rejected');
      if (failure) throw failure.reason;
      const counts = await db.selectFrom('crm_sync_slices').select(['written', 'unchanged', 'failed']).where('slice', '=', slice).executeTakeFirst();
      return { written: 0, unchanged: 0, failed: 0, ...counts, due: await countDueContacts(db, scope) };
    } finally {
      clearInterval(heartbeat);
    }
  };

  /**
   * One lease, its writes side by side in the CRM's write size, one record; undefined when nothing is due. What the
   * CRM answered is recorded even when another write of the lease failed, so a retry sends only what is unanswered.
   */
  async function writeDueContacts(
    client: CrmClient,
    scope: DueContactsScope,
    writer: CrmWriter,
    lease: (token: string) => Promise<LeasedContact[]>,
  ): Promise<CrmWriteTally | undefined> {
    const leased = await lease(writer.token);
    if (leased.length === 0) return undefined;
    const rows = await readCrmContactRows(db, leased);
    const unchanged = rows.filter((row) => row.fingerprint === row.syncedFingerprint).map((row) => row.contact.contactId);
    const { send, later } = oneWritePerNumber(rows.filter((row) => row.fingerprint !== row.syncedFingerprint));
    const writes = await Promise.allSettled(chunks(send, client.maxContactsPerWrite).map((chunk) => client.upsert(chunk.map((row) => row.contact))));
    const outcome: CrmWriteOutcome = { written: [], failed: [], retryLater: later };
    for (const write of writes) {
      if (write.status !== 'fulfilled') continue;
      outcome.written.push(...write.value.written);
      outcome.failed.push(...write.value.failed);
      outcome.retryLater.push(...write.value.retryLater);
    }
    const answered = new Set([...outcome.written, ...outcome.failed, ...outcome.retryLater].map((c) => c.contactId).concat(unchanged));
    const tally = await recordCrmWrite(db, scope, writer, rows.filter((row) => answered.has(row.contact.contactId)), { ...outcome, unchanged });
    const refused = writes.find((write) => write.status === 'rejected');
    if (refused) {
      // The workflow waits out a spent allocation and then calls a new activity, with other leases: these go back now.
      if (refused.reason instanceof ApplicationFailure && refused.reason.type === CRM_ALLOWANCE_SPENT) {
        await releaseLeases(db, scope, writer.token, rows.filter((row) => !answered.has(row.contact.contactId)).map((row) => row.contact.contactId));
      }
      throw refused.reason;
    }
    return tally;
  }
}

/**
 * Leases from where the last one ended; at the end of the ids, once more from the start for the contacts a write
 * gave back (to retry later) or another writer held.
 */
function leaseInIdOrder(db: ActivityDependencies['db'], scope: DueContactsScope, limit: number): (token: string) => Promise<LeasedContact[]> {
  let cursor = '0';
  let leasedSinceAnalyze = 0;
  return async (token) => {
    // The state table grows by whole leases: plans made for an emptier one scan it once per contact.
    if (leasedSinceAnalyze >= ANALYZE_EVERY) {
      await sql`ANALYZE crm_sync_state`.execute(db);
      leasedSinceAnalyze = 0;
    }
    let leased = await leaseDueContacts(db, scope, token, limit, cursor);
    if (leased.length === 0 && cursor !== '0') leased = await leaseDueContacts(db, scope, token, limit, '0');
    cursor = leased.reduce((max, { contactId }) => (BigInt(contactId) > BigInt(max) ? contactId : max), '0');
    leasedSinceAnalyze += leased.length;
    return leased;
  };
}

/**
 * Leases taken one after another: two statements leasing at once read the same snapshot, and the second would skip
 * the rows the first is locking and come back short, which a writer would take for nothing left to send.
 */
function oneAtATime<A, R>(take: (arg: A) => Promise<R>): (arg: A) => Promise<R> {
  let last: Promise<unknown> = Promise.resolve();
  return (arg) => {
    const next = last.catch(() => {}).then(() => take(arg));
    last = next;
    return next;
  };
}

/**
 * Contacts per lease: HubSpot's writes of 100 go ten to a lease, so the database work of a lease is shared by ten
 * requests; Salesforce takes a whole Bulk job's worth.
 */
function leaseSizeFor(client: CrmClient): number {
  return Math.max(1_000, client.maxContactsPerWrite);
}

/** Two leases in flight keep HubSpot's burst limit busy while the other's answers are recorded; a Bulk job runs alone. */
function writersFor(client: CrmClient): number {
  return client.maxContactsPerWrite <= 200 ? 2 : 1;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
}

/**
 * A CRM refuses one write that names a record twice. Two contacts share a number only across migrations (the
 * real-time scope): the second waits for the next write.
 */
function oneWritePerNumber(rows: readonly CrmContactRow[]): { send: CrmContactRow[]; later: CrmWriteOutcome['retryLater'] } {
  const seen = new Set<string>();
  const send: CrmContactRow[] = [];
  const later: CrmWriteOutcome['retryLater'] = [];
  for (const row of rows) {
    if (seen.has(row.contact.e164)) later.push({ contactId: row.contact.contactId, reason: 'another contact with this number is in the same write' });
    else {
      seen.add(row.contact.e164);
      send.push(row);
    }
  }
  return { send, later };
}
