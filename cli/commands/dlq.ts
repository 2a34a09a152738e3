import { parseArgs } from 'node:util';
import { databaseLocation, openDatabase } from '../../database/connect.ts';
import { createTemporalClient } from '../../temporal/client.ts';
import { temporalSettings } from '../../temporal/connection-settings.ts';
import { DeadLetterQueue, type DeadLetterFilter } from '../../activities/sync/dead-letter-queue.ts';
import { CRM_NAMES, type CrmName } from '../../connectors/crm-contact.ts';
import { crmSyncWorkflow, crmSyncWorkflowId } from '../../workflows/crm-sync.ts';
import { UsageError } from '../usage-error.ts';

/** `dlq list` shows what the CRMs refused and why; `dlq retry` sends those contacts again, as they are now, after a fix. */
export async function dlqCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      migration: { type: 'string' },
      crm: { type: 'string' },
      id: { type: 'string', multiple: true },
      all: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const [action] = positionals;
  if (action !== 'list' && action !== 'retry') throw new UsageError('dlq needs list or retry');
  if (values.crm !== undefined && !CRM_NAMES.includes(values.crm as CrmName)) throw new UsageError(`dlq --crm: one of ${CRM_NAMES.join(', ')}`);
  const ids = values.id?.map(Number);
  if (ids?.some((id) => !Number.isInteger(id) || id < 1)) throw new UsageError('dlq --id: a dead letter id, as `dlq list` shows it');
  const filter: DeadLetterFilter = { migrationId: values.migration, crm: values.crm as CrmName | undefined, ids };

  const db = await openDatabase(databaseLocation());
  try {
    const queue = new DeadLetterQueue(db);
    if (action === 'list') {
      const letters = await queue.list(filter, values.all);
      if (values.json) return console.log(JSON.stringify(letters, null, 2));
      if (letters.length === 0) return console.log('No dead letters.');
      for (const d of letters) {
        const state = d.resolvedAt ? `resolved ${d.resolvedAt.toISOString()}` : d.retriedAt ? `retried ${d.retriedAt.toISOString()}, refused again` : 'open';
        console.log(`#${d.id}  ${d.migrationId}  ${d.crm}  ${d.e164}  ${state}\n      ${d.reason}`);
      }
      return;
    }
    const pairs = await queue.markForRetry(filter);
    if (pairs.length === 0) return console.log('No open dead letters match; nothing to retry.');
    const settings = temporalSettings();
    const client = await createTemporalClient(settings);
    try {
      const retriedAt = new Date().toISOString().replace(/[:.]/g, '-');
      for (const { migrationId, crm, contacts } of pairs) {
        const input = { migrationId, crm };
        const totals = await client.workflow.execute(crmSyncWorkflow, { workflowId: crmSyncWorkflowId(input, `retry-${retriedAt}`), taskQueue: settings.taskQueue, args: [input] });
        console.log(`${migrationId} → ${crm}: ${contacts} dead letters retried; ${totals.written} contacts written, ${totals.failed} refused again (see dlq list).`);
      }
    } finally {
      await client.connection.close();
    }
  } finally {
    await db.destroy();
  }
}
