import { sql } from 'kysely';
import { Context } from '@temporalio/activity';
import type { ContactCheckResult } from '../../connectors/whatsapp/contacts-check-client.ts';
import type { ActivityDependencies } from '../dependencies.ts';

export interface VerifyBatchResult {
  verified: number;
  onWhatsApp: number;
  notOnWhatsApp: number;
}

/**
 * Asks the contacts check about the batch's contacts that have no answer yet, and stores the answers with the
 * batch's state in one transaction. A finished batch is never asked about again; after a crash only the
 * contacts whose answers were not stored are asked.
 */
export function verifyBatchActivity({ db, contactsCheck, clock }: Pick<ActivityDependencies, 'db' | 'contactsCheck' | 'clock'>) {
  return async function verifyBatch(migrationId: string, batchNo: number): Promise<VerifyBatchResult> {
    const pending = await db
      .selectFrom('contacts')
      .select(['id', 'e164'])
      .where('migration_id', '=', migrationId)
      .where('batch_no', '=', batchNo)
      .where('verified_at', 'is', null)
      .execute();

    const answers = pending.length > 0 ? await contactsCheck.check(pending.map((c) => c.e164)) : [];
    Context.current().heartbeat();
    const answerByNumber = new Map(answers.map((a) => [a.input, a]));
    const now = clock();

    await db.transaction().execute(async (trx) => {
      if (pending.length > 0) {
        const reachability = pending.map((c) => reachabilityOf(answerByNumber.get(c.e164)));
        await sql`
          UPDATE contacts AS c SET reachability = u.reachability, wa_id = u.wa_id, verified_at = ${now}
          FROM unnest(${pending.map((c) => String(c.id))}::bigint[], ${reachability}::text[],
                      ${pending.map((c) => answerByNumber.get(c.e164)?.waId ?? null)}::text[]) AS u(id, reachability, wa_id)
          WHERE c.id = u.id`.execute(trx);
      }
      await trx
        .updateTable('contact_batches')
        .set({ verified_at: now })
        .where('migration_id', '=', migrationId)
        .where('batch_no', '=', batchNo)
        .execute();
    });
    return batchReachability(migrationId, batchNo);
  };

  async function batchReachability(migrationId: string, batchNo: number): Promise<VerifyBatchResult> {
    const rows = await db
      .selectFrom('contacts')
      .select(['reachability', (e) => e.fn.countAll<number>().as('contacts')])
      .where('migration_id', '=', migrationId)
      .where('batch_no', '=', batchNo)
      .groupBy('reachability')
      .execute();
    const count = (state: string) => Number(rows.find((r) => r.reachability === state)?.contacts ?? 0);
    return {
      verified: rows.reduce((sum, r) => sum + Number(r.contacts), 0),
      onWhatsApp: count('on_whatsapp'),
      notOnWhatsApp: count('not_on_whatsapp'),
    };
  }
}

function reachabilityOf(answer: ContactCheckResult | undefined): 'on_whatsapp' | 'not_on_whatsapp' | 'unknown' {
  if (answer?.status === 'valid') return 'on_whatsapp';
  if (answer?.status === 'invalid') return 'not_on_whatsapp';
  return 'unknown';
}
