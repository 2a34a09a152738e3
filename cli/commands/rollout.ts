import { parseArgs } from 'node:util';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { databaseLocation, openDatabase } from '../../database/connect.ts';
import { createTemporalClient } from '../../temporal/client.ts';
import { temporalSettings } from '../../temporal/connection-settings.ts';
import { buildRolloutReport, type RolloutReport } from '../../activities/rollout/rollout-report.ts';
import { channelLabel, cohortLabel, formatRate } from '../../report/figure-format.ts';
import { scenarioRolloutWorkflow } from '../../workflows/scenario-rollout.ts';
import { rolloutInputProblems, rolloutWorkflowId, type ScenarioRolloutInput } from '../../workflows/scenario-rollout-input.ts';
import { readConfigFile } from '../migration-config.ts';
import { UsageError } from '../usage-error.ts';

/**
 * `rollout start --config FILE` starts a scenario rollout (its input as JSON); `rollout report ID [--json]` shows its
 * per-scenario, per-cohort, per-channel delivery, read and reply rates as they stand.
 */
export async function rolloutCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { config: { type: 'string' }, json: { type: 'boolean', default: false } } });
  const [action, rolloutId] = positionals;
  if (action === 'start') return start(values.config);
  if (action !== 'report') throw new UsageError('rollout needs start or report');
  if (!rolloutId) throw new UsageError('rollout report needs the rollout id');
  const db = await openDatabase(databaseLocation());
  try {
    const exists = await db.selectFrom('rollouts').select('rollout_id').where('rollout_id', '=', rolloutId).executeTakeFirst();
    if (!exists) throw new Error(`no rollout "${rolloutId}" has been planned in this database`);
    const report = await buildRolloutReport(db, rolloutId);
    console.log(values.json ? JSON.stringify(report, null, 2) : reportText(report));
  } finally {
    await db.destroy();
  }
}

async function start(configFile: string | undefined): Promise<void> {
  if (!configFile) throw new UsageError('rollout start needs --config FILE');
  const input = (await readConfigFile(configFile)) as ScenarioRolloutInput;
  const problems = rolloutInputProblems(input);
  if (problems.length > 0) throw new Error(`${configFile}:\n  ${problems.join('\n  ')}`);
  const settings = temporalSettings();
  const client = await createTemporalClient(settings);
  try {
    const workflowId = rolloutWorkflowId(input.rolloutId);
    await client.workflow.start(scenarioRolloutWorkflow, { workflowId, taskQueue: settings.taskQueue, args: [input] });
    console.log(`${workflowId} started; see it with: channelshift rollout report ${input.rolloutId}`);
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    console.log(`${rolloutWorkflowId(input.rolloutId)} is already running.`);
  } finally {
    await client.connection.close();
  }
}

/** One block per scenario; one line per cohort and channel. */
export function reportText(report: RolloutReport): string {
  const percent = (rate: number | null) => (rate === null ? 'n/a' : formatRate(rate));
  const count = (n: number | null) => (n === null ? 'n/a' : String(n));
  const seconds = (ms: number | null) => (ms === null ? '-' : `${(ms / 1000).toFixed(1)} s`);
  const columns = ['cohort', 'channel', 'sent', 'delivered', 'read', 'replied', 'delivery', 'read rate', 'reply rate', 'median reply'];
  const lines = [`Rollout ${report.rolloutId} (migration ${report.migrationId}): ${report.audience} contacts`];
  for (const scenario of report.scenarios) {
    lines.push('', `${scenario.scenarioId} (${scenario.stage})`);
    const rows: string[][] = [columns];
    for (const cohort of scenario.cohorts) {
      const label = cohortLabel(cohort);
      if (cohort.outcomes.length === 0) rows.push([label, '-', '0', '', '', '', '', '', '', '']);
      for (const o of cohort.outcomes) rows.push([label, channelLabel(o), String(o.sent), String(o.delivered), count(o.read), String(o.replied), percent(o.deliveryRate), percent(o.readRate), percent(o.replyRate), seconds(o.medianResponseMs)]);
    }
    const widths = columns.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
    lines.push(...rows.map((row) => `  ${row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()}`));
    for (const cohort of scenario.cohorts.filter((c) => c.fallbacks > 0)) lines.push(`  ${cohort.cohort}: ${cohort.fallbacks} fallbacks on the old channel`);
  }
  return lines.join('\n');
}
