import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { customerBaseColumns, writeCustomerBase, type CustomerBaseTruth } from '../../demo/customer-base.ts';
import type { MigrationInput } from '../../workflows/migration-input.ts';
import type { Sandbox } from './sandbox.ts';

/** A generated customer base in the sandbox and the migration input that reads it. */
export async function customerBaseMigration(
  sandbox: Sandbox,
  rows: number,
  overrides: Partial<MigrationInput> = {},
): Promise<{ input: MigrationInput; truth: CustomerBaseTruth }> {
  const migrationId = `test-${randomUUID().slice(0, 8)}`;
  const path = join(sandbox.dataDir, `${migrationId}.csv`);
  const truth = await writeCustomerBase(path, rows);
  return {
    truth,
    input: { migrationId, sources: [{ kind: 'csv', name: 'customers', path, columns: customerBaseColumns }], ...overrides },
  };
}

/** The contacts a migration holds, by number, with what verification found. */
export async function contactsOf(sandbox: Sandbox, migrationId: string) {
  return sandbox.db
    .selectFrom('contacts as c')
    .leftJoin('crm_sync_state as s', (join) => join.onRef('s.contact_id', '=', 'c.id').on('s.crm', '=', 'hubspot'))
    .select(['c.e164', 'c.reachability', 's.record_id as crm_id'])
    .where('c.migration_id', '=', migrationId)
    .execute();
}
