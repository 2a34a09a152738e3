import { sql, type Kysely } from 'kysely';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { CarrierAnswer } from '../../connectors/carrier-lookup.ts';
import type { ContactCheckStatus } from '../../connectors/whatsapp/contacts-check-client.ts';
import type { Database } from '../../database/schema.ts';
import type { VerifyConfig } from '../../workflows/migration-input.ts';
import type { ActivityDependencies } from '../dependencies.ts';
import { estimateReachability, needsCarrierLookup } from './reachability-estimate.ts';

export interface VerifyBatchResult {
  verified: number;
  likely: number;
  unlikely: number;
  unknown: number;
  reengage: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Carrier lookups one batch has out at once: a few keep a vendor busy at its rate; more would only be lost in a crash. */
export const LOOKUPS_IN_FLIGHT = 16;
export const DEFAULT_INACTIVE_AFTER_DAYS = 365;

/**
 * Estimates WhatsApp reachability for the batch's contacts that have none yet, with the strategies the migration
 * chose. Carrier answers are stored as each chunk arrives, so a batch taken over after a crash asks only about
 * numbers not asked yet; the estimates and the batch's state are written in one transaction.
 */
export function verifyBatchActivity({ db, contactsCheck, carrierLookups, clock }: Pick<ActivityDependencies, 'db' | 'contactsCheck' | 'carrierLookups' | 'clock'>) {
  return async function verifyBatch(migrationId: string, batchNo: number, config: VerifyConfig = {}): Promise<VerifyBatchResult> {
    const pending = await db
      .selectFrom('contacts')
      .select(['id', 'e164', 'line_type', 'last_interaction_at'])
      .where('migration_id', '=', migrationId)
      .where('batch_no', '=', batchNo)
      .where('verified_at', 'is', null)
      .orderBy('id')
      .execute();

    const carrierOf = config.carrierLookup ? await lookUpCarriers(migrationId, config.carrierLookup, pending) : new Map<string, CarrierAnswer>();
    let checkOf = new Map<string, { status: ContactCheckStatus; waId?: string }>();
    if (config.contactsCheck && pending.length > 0) {
      if (!contactsCheck) throw ApplicationFailure.nonRetryable('verify.contactsCheck is on, but the worker has no WHATSAPP_CONTACTS_URL (see README.md, "Configuration")', 'ConnectorMissing');
      const answers = await contactsCheck.check(pending.map((c) => c.e164));
      checkOf = new Map(answers.map((a) => [a.input, a]));
      Context.current().heartbeat();
    }

    const now = clock();
    const inactiveBefore = new Date(now.getTime() - (config.inactiveAfterDays ?? DEFAULT_INACTIVE_AFTER_DAYS) * DAY_MS);
    const estimates = pending.map((c) => {
      const carrier = carrierOf.get(String(c.id));
      return estimateReachability(
        {
          lineType: c.line_type,
          carrier: carrier && config.carrierLookup ? { vendor: config.carrierLookup, answer: carrier } : undefined,
          contactsCheck: checkOf.get(c.e164)?.status,
          lastInteractionAt: c.last_interaction_at,
        },
        inactiveBefore,
      );
    });
    await db.transaction().execute(async (trx) => {
      if (pending.length > 0) {
        await sql`
          UPDATE contacts AS c
          SET reachability = u.reachability, reachability_evidence = u.evidence::jsonb, reengage = u.reengage, wa_id = coalesce(u.wa_id, c.wa_id), verified_at = ${now}
          FROM unnest(${pending.map((c) => String(c.id))}::bigint[], ${estimates.map((e) => e.reachability)}::text[],
                      ${estimates.map((e) => JSON.stringify(e.evidence))}::text[], ${estimates.map((e) => e.reengage)}::boolean[],
                      ${pending.map((c) => checkOf.get(c.e164)?.waId ?? null)}::text[]) AS u(id, reachability, evidence, reengage, wa_id)
          WHERE c.id = u.id`.execute(trx);
      }
      await trx.updateTable('contact_batches').set({ verified_at: now }).where('migration_id', '=', migrationId).where('batch_no', '=', batchNo).execute();
    });
    return reachabilityCounts(db, migrationId, batchNo);
  };

  async function lookUpCarriers(migrationId: string, vendor: 'plivo' | 'vonage', contacts: { id: string; e164: string; line_type: string | null }[]): Promise<Map<string, CarrierAnswer>> {
    const lookup = carrierLookups[vendor];
    if (!lookup) {
      const setting = vendor === 'plivo' ? 'PLIVO_AUTH_ID and PLIVO_AUTH_TOKEN' : 'VONAGE_API_KEY and VONAGE_API_SECRET';
      throw ApplicationFailure.nonRetryable(`verify.carrierLookup is "${vendor}", but the worker has no ${setting} (see README.md, "Configuration")`, 'ConnectorMissing');
    }
    const ids = contacts.map((c) => String(c.id));
    const stored = ids.length === 0 ? [] : await db.selectFrom('carrier_lookups').select(['contact_id', 'answer']).where('migration_id', '=', migrationId).where('contact_id', 'in', ids).execute();
    const answers = new Map(stored.map((row) => [String(row.contact_id), row.answer as unknown as CarrierAnswer]));
    const missing = contacts.filter((c) => !answers.has(String(c.id)) && needsCarrierLookup(c.line_type));
    // Each answer is stored as it arrives, and only a few lookups are out at once (enough to keep to the vendor's
    // rate): a worker that dies loses just the answers still on the wire.
    let next = 0;
    const failures: unknown[] = [];
    await Promise.all(
      Array.from({ length: LOOKUPS_IN_FLIGHT }, async () => {
        while (next < missing.length && failures.length === 0) {
          const contact = missing[next++]!;
          try {
            const answer = await lookup.lookup(contact.e164);
            await db
              .insertInto('carrier_lookups')
              .values({ migration_id: migrationId, contact_id: contact.id, vendor, answer: JSON.stringify(answer), looked_up_at: clock() })
              .onConflict((oc) => oc.columns(['migration_id', 'contact_id']).doNothing())
              .execute();
            answers.set(String(contact.id), answer);
            Context.current().heartbeat();
          } catch (failure) {
            failures.push(failure);
          }
        }
      }),
    );
    // Every lookup has ended before a failure goes to Temporal, so its retry asks only what is still missing.
    if (failures.length > 0) throw failures[0];
    return answers;
  }
}

/**
 * The reachability of every contact of one batch, or of every verified batch of the migration: the migration report
 * counts as the workflow, which adds up its batches' results.
 */
export async function reachabilityCounts(db: Kysely<Database>, migrationId: string, batches: number | 'verified'): Promise<VerifyBatchResult> {
  const verifiedBatches = db.selectFrom('contact_batches').select('batch_no').where('migration_id', '=', migrationId).where('verified_at', 'is not', null);
  const rows = await db
    .selectFrom('contacts')
    .select(['reachability', (e) => e.fn.countAll<number>().as('contacts'), (e) => e.fn.countAll<number>().filterWhere('reengage', '=', true).as('reengage')])
    .where('migration_id', '=', migrationId)
    .where((e) => (batches === 'verified' ? e('batch_no', 'in', verifiedBatches) : e('batch_no', '=', batches)))
    .groupBy('reachability')
    .execute();
  const count = (state: string) => Number(rows.find((r) => r.reachability === state)?.contacts ?? 0);
  return {
    verified: rows.reduce((sum, r) => sum + Number(r.contacts), 0),
    likely: count('likely'),
    unlikely: count('unlikely'),
    unknown: count('unknown'),
    reengage: rows.reduce((sum, r) => sum + Number(r.reengage), 0),
  };
}
