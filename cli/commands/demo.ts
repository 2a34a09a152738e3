import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { customerBaseColumns, writeCustomerBase } from '../../demo/customer-base.ts';
import { demoCampaign } from '../../demo/demo-campaign.ts';
import { startSandboxStack } from '../../demo/sandbox-stack.ts';
import { generateSourceHistories, VONAGE_ACCOUNT } from '../../demo/source-histories.ts';
import { scriptKnownCustomers } from '../../demo/opt-in-audience.ts';
import { emulatedCustomers } from '../../connectors/emulated-customers.ts';
import type { MigrationInput } from '../../workflows/migration-input.ts';
import { followMigration, startOrAttach } from '../follow-migration.ts';
import { progressDisplay } from '../progress-display.ts';
import { summaryText } from '../summary-text.ts';
import { UsageError } from '../usage-error.ts';

const DAY = 86_400_000;
// Plivo allows 20 list requests a minute; the sandbox's minute lasts a second so the demo ends in seconds, not hours.
const SANDBOX_PLIVO_WINDOW_MS = 1000;
// Likewise the send rates (30 SMS/s at Vonage, 5 at Plivo, 80 WhatsApp messages/s), raised alike on both sides.
const SANDBOX_SEND_RATES = { vonageSms: 250, plivoSms: 250, whatsApp: 250 };

/**
 * The whole product on one machine, in sandbox mode: one business's customers in a spreadsheet, in Vonage's and
 * Plivo's SMS history and among its Viber bot's subscribers, migrated to the end, with the opt-in campaign the
 * emulated customers answer.
 */
export async function demoCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { rows: { type: 'string', default: '5000' } } });
  const rows = Number(values.rows);
  if (!Number.isInteger(rows) || rows < 1) throw new UsageError('--rows: a whole number of customers');
  const log = (line: string) => console.error(line);

  const file = resolve('.channelshift/demo/customers.csv');
  const truth = await writeCustomerBase(file, rows);
  log(`Generated ${truth.rows} customers (${truth.rejectedRows} with unusable numbers, ${truth.validRows - truth.distinctNumbers} repeats) in ${file}.`);
  const to = new Date(Math.floor(Date.now() / DAY) * DAY);
  const from = new Date(to.getTime() - 30 * DAY);
  const histories = generateSourceHistories({ vonageRecords: rows, plivoMessages: Math.ceil(rows / 10), viberSubscribers: Math.ceil(rows / 5), from, days: 30 });
  log(`Generated ${histories.vonage.length} Vonage messages, ${histories.plivo.length} Plivo messages and ${histories.viber.length} Viber subscribers over 30 days.`);

  const customers = scriptKnownCustomers([...truth.numbers, ...histories.truth.numbers], histories.viber, { seed: 20261123 });
  log(`Scripted how the customers answer the move notice: ${customers.truth.yes.size} will say yes, ${customers.truth.stop.size} STOP, the rest something else or nothing.`);
  const stack = await startSandboxStack(log, {
    histories,
    plivoWindowMs: SANDBOX_PLIVO_WINDOW_MS,
    customers: emulatedCustomers(customers.scripts),
    sendRates: SANDBOX_SEND_RATES,
    whatsAppMessagingLimit: 1_000_000,
  });
  try {
    const callbacks = await stack.emulators.viber.deliverCallbacks(`${stack.webhooks.url}/webhooks/viber`);
    log(`The Viber emulator sent ${callbacks.sent} callbacks to the webhook; ${callbacks.accepted} accepted.`);
    const period = { from: from.toISOString(), to: to.toISOString() };
    const input: MigrationInput = {
      // Base 36 time: unique per run, and no long run of digits that reads like a phone number.
      migrationId: `demo-${Date.now().toString(36)}`,
      sources: [
        { kind: 'csv', name: 'crm-export', path: file, columns: customerBaseColumns },
        { kind: 'vonage', name: 'vonage-sms', accountId: VONAGE_ACCOUNT, ...period },
        { kind: 'plivo', name: 'plivo-sms', ...period },
        { kind: 'viber', name: 'viber-bot' },
      ],
      backupDir: resolve('.channelshift/backups'),
      crms: ['hubspot', 'salesforce'],
      optIn: demoCampaign,
    };
    const handle = await startOrAttach(stack.client, stack.temporal.taskQueue, input);
    const runUrl = stack.devServer && `${stack.devServer.uiUrl}/namespaces/${stack.temporal.namespace}/workflows/${handle.workflowId}`;
    if (runUrl) log(`Watch it live in the Temporal UI: ${runUrl}`);
    const summary = await followMigration(handle, progressDisplay());
    console.log(summaryText(summary));
    console.log(`\nCleaned contacts and rejected rows: npx channelshift export ${input.migrationId} --out ${input.migrationId}.csv`);
    console.log(`Raw extracts archived before cleaning: npx channelshift backup verify ${input.backupDir}`);
    console.log(`The run's report, as one HTML page: npx channelshift report ${input.migrationId} --out report.html`);
    console.log(
      runUrl
        ? `The run is kept in .channelshift/temporal.db: \`npm run temporal\` serves it again at ${runUrl}`
        : `The run is workflow ${handle.workflowId} in namespace ${stack.temporal.namespace} on ${stack.temporal.address}.`,
    );
  } finally {
    await stack.close();
  }
}
