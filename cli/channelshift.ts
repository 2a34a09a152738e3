#!/usr/bin/env node
import { migrateCommand } from './commands/migrate.ts';
import { statusCommand } from './commands/status.ts';
import { exportCommand } from './commands/export.ts';
import { workerCommand } from './commands/worker.ts';
import { demoCommand } from './commands/demo.ts';
import { normalizeCommand } from './commands/normalize.ts';
import { qualityCommand } from './commands/quality.ts';
import { backupCommand } from './commands/backup.ts';
import { dlqCommand } from './commands/dlq.ts';
import { scheduleCommand } from './commands/schedule.ts';
import { sandboxCommand } from './commands/sandbox.ts';
import { scenariosCommand } from './commands/scenarios.ts';
import { rolloutCommand } from './commands/rollout.ts';
import { reportCommand } from './commands/report.ts';
import { forgetCommand } from './commands/forget.ts';
import { personCommand } from './commands/person.ts';
import { codecServerCommand } from './commands/codec-server.ts';
import { anonymizeCommand } from './commands/anonymize.ts';
import { UsageError } from './usage-error.ts';

const usage = `channelshift: move a business's customers from SMS and Viber to WhatsApp, durably, on Temporal.

  channelshift migrate --config FILE [--json]   start a migration (or attach to the running one) and follow it
  channelshift status ID [--json]               where migration ID stands
  channelshift quality ID                       the migration's data-quality report as JSON
  channelshift export ID --out FILE             cleaned contacts to FILE, rejected rows with reasons to FILE.rejected.csv
  channelshift report ID --out FILE             the migration's report as one HTML page: funnel, rejects, countries, consent, A/B
  channelshift normalize --input FILE.csv --column NAME [--country-column NAME] [--default-country XX] --out OUT.csv
                                                preview the cleaning: the CSV with e164, line_type and reject_reason added
  channelshift backup verify DIR [--migration ID]
                                                check the archived raw extracts in DIR against their manifests
  channelshift backup restore DIR --migration ID [--source NAME] [--into ID]
                                                put a migration's archived raw extract back into staging
  channelshift dlq list [--migration ID] [--crm hubspot|salesforce] [--all] [--json]
                                                the rows a CRM refused, with its reasons
  channelshift dlq retry [--migration ID] [--crm NAME] [--id N ...]
                                                send those contacts again, as they are now, after a fix
  channelshift schedule --config FILE           create the transition window's schedule of incremental syncs
  channelshift schedule show|pause|resume|delete ID [--note TEXT]
  channelshift schedule backfill ID --from ISO --to ISO
                                                run the syncs a paused or missed stretch of the window would have run
  channelshift scenarios convert FILE... [--named] [--out DIR] [--json]
                                                SMS and Viber scenarios as WhatsApp templates, or why each cannot be
  channelshift scenarios submit FILE... [--named] [--wait] [--poll-every DURATION]
                                                store the templates and wait for Meta's review of each, durably
  channelshift scenarios status [--json]        where Meta's review of each stored template stands
  channelshift rollout start --config FILE      roll scenarios out on WhatsApp in stages, A/B against the old channel
  channelshift rollout report ID [--json]       per scenario, channel and cohort: delivery, read and reply rates, response time
  channelshift sandbox run FLOW --script CONVERSATION [--json]
                                                play a scripted conversation through a bot flow converted to WhatsApp
  channelshift forget --phone NUMBER [--country XX] [--wait]
                                                erase one person everywhere (GDPR, CCPA); only a keyed hash of the number remains
  channelshift person --phone NUMBER [--country XX] [--out FILE]
                                                everything held on one person, as JSON (an access request)
  channelshift anonymize ID --to DATABASE_URL [--as NEW_ID]
                                                a pseudonymised copy of migration ID in another PostgreSQL database, for testing elsewhere
  channelshift codec-server [--port 8888] [--host 127.0.0.1] [--ui-origin URL ...]
                                                decode the encrypted Temporal history for the UI and "temporal --codec-endpoint"
  channelshift worker                           run a worker (settings from the environment, see README.md)
  channelshift demo [--rows N]                  the whole pipeline on generated data, with emulators and a local Temporal`;

const commands: Record<string, (args: string[]) => Promise<void>> = {
  migrate: migrateCommand,
  status: statusCommand,
  quality: qualityCommand,
  export: exportCommand,
  report: reportCommand,
  forget: forgetCommand,
  person: personCommand,
  anonymize: anonymizeCommand,
  'codec-server': codecServerCommand,
  normalize: normalizeCommand,
  backup: backupCommand,
  dlq: dlqCommand,
  schedule: scheduleCommand,
  scenarios: scenariosCommand,
  sandbox: sandboxCommand,
  rollout: rolloutCommand,
  worker: workerCommand,
  demo: demoCommand,
};

const [name, ...args] = process.argv.slice(2);
const command = name === undefined ? undefined : commands[name];
if (!command) {
  console.error(usage);
  process.exit(name === undefined || name === 'help' || name === '--help' ? 0 : 2);
}
try {
  await command(args);
} catch (error) {
  if (error instanceof UsageError) {
    console.error(`${error.message}\n\n${usage}`);
    process.exit(2);
  }
  console.error(`channelshift ${name}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
