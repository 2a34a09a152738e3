import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { customerBaseColumns, writeCustomerBase } from '../../demo/customer-base.ts';
import { startSandboxStack } from '../../demo/sandbox-stack.ts';
import type { MigrationInput } from '../../workflows/migration-input.ts';
import { followMigration, startOrAttach } from '../follow-migration.ts';
import { progressDisplay } from '../progress-display.ts';
import { summaryText } from '../summary-text.ts';
import { UsageError } from '../usage-error.ts';

/** The whole product on one machine, in sandbox mode: a generated customer base migrated to its end. */
export async function demoCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { rows: { type: 'string', default: '20000' } } });
  const rows = Number(values.rows);
  if (!Number.isInteger(rows) || rows < 1) throw new UsageError('--rows: a whole number of customers');
  const log = (line: string) => console.error(line);

  const file = resolve('.channelshift/demo/customers.csv');
  const truth = await writeCustomerBase(file, rows);
  log(`Generated ${truth.rows} customers (${truth.rejectedRows} with unusable numbers, ${truth.validRows - truth.distinctNumbers} repeats) in ${file}.`);

  const stack = await startSandboxStack(log);
  try {
    const input: MigrationInput = {
      // Base 36 time: unique per run, and no long run of digits that reads like a phone number.
      migrationId: `demo-${Date.now().toString(36)}`,
      source: { kind: 'csv', name: 'demo-customers', path: file, columns: customerBaseColumns },
    };
    const handle = await startOrAttach(stack.client, stack.temporal.taskQueue, input);
    const runUrl = stack.devServer && `${stack.devServer.uiUrl}/namespaces/${stack.temporal.namespace}/workflows/${handle.workflowId}`;
    if (runUrl) log(`Watch it live in the Temporal UI: ${runUrl}`);
    const summary = await followMigration(handle, progressDisplay());
    console.log(summaryText(summary));
    console.log(`\nCleaned contacts and rejected rows: npx channelshift export ${input.migrationId} --out ${input.migrationId}.csv`);
    console.log(
      runUrl
        ? `The run is kept in .channelshift/temporal.db: \`npm run temporal\` serves it again at ${runUrl}`
        : `The run is workflow ${handle.workflowId} in namespace ${stack.temporal.namespace} on ${stack.temporal.address}.`,
    );
  } finally {
    await stack.close();
  }
}
