import { ScheduleOverlapPolicy, type Client, type ScheduleHandle } from '@temporalio/client';
import { isDuration } from '../workflows/opt-in-campaign-input.ts';
import { migrationInputProblems, type MigrationInput } from '../workflows/migration-input.ts';
import { transitionSyncWorkflow } from '../workflows/transition-sync.ts';
import { migrationConfigIn, readConfigFile } from './migration-config.ts';

/** The file `channelshift schedule --config` reads: when the transition window runs, how often, and which migration. */
export interface TransitionScheduleConfig {
  /** Default `transition-<migrationId>`. */
  scheduleId: string;
  /** A duration like "15 minutes" or "1h": one incremental run per interval. */
  every: string;
  start: Date;
  end: Date;
  migration: MigrationInput;
}

/** Reads and checks the file, naming every wrong field; the migration part is checked like `migrate --config`'s. */
export async function readTransitionScheduleConfig(file: string): Promise<TransitionScheduleConfig> {
  const parsed = (await readConfigFile(file)) as Record<string, unknown>;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${file}: the schedule must be a JSON object`);
  const problems: string[] = [];
  if (!isDuration(parsed.every)) problems.push('every: a duration like "15 minutes", "1h" or "30s"');
  const start = dateOf(parsed.start, 'start', problems);
  const end = dateOf(parsed.end, 'end', problems);
  if (start && end && end <= start) problems.push('end: must be later than start');
  if (parsed.scheduleId !== undefined && (typeof parsed.scheduleId !== 'string' || !/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,99}$/.test(parsed.scheduleId))) {
    problems.push('scheduleId: 1 to 100 characters of letters, digits, ".", "-" and "_"');
  }
  if (typeof parsed.migration !== 'object' || parsed.migration === null) problems.push('migration: the migration input, as `migrate --config` takes it');
  else problems.push(...migrationInputProblems(parsed.migration).map((problem) => `migration.${problem}`));
  if (problems.length > 0) throw new Error(`${file}:\n  ${problems.join('\n  ')}`);
  // Relative paths in the migration resolve from the schedule file's folder, as in a migration's own file.
  const migration = migrationConfigIn(file, parsed.migration);
  return {
    scheduleId: (parsed.scheduleId as string | undefined) ?? `transition-${migration.migrationId}`,
    every: parsed.every as string,
    start: start!,
    end: end!,
    migration,
  };
}

function dateOf(value: unknown, field: string, problems: string[]): Date | undefined {
  const date = typeof value === 'string' ? new Date(value) : undefined;
  if (date && !Number.isNaN(date.getTime())) return date;
  problems.push(`${field}: a date and time in ISO 8601, like "2026-12-01T08:00:00Z"`);
  return undefined;
}

/**
 * The Temporal Schedule of the transition window: one incremental run of the migration every interval from the
 * window's start to its end, never two at once (a run still going when the next is due makes that one skip).
 * Pause, resume and backfill it from the CLI or the Temporal UI's Schedules page.
 */
export async function createTransitionSchedule(client: Client, taskQueue: string, config: TransitionScheduleConfig): Promise<ScheduleHandle> {
  return client.schedule.create({
    scheduleId: config.scheduleId,
    spec: { intervals: [{ every: config.every as never }], startAt: config.start, endAt: config.end },
    action: {
      type: 'startWorkflow',
      workflowType: transitionSyncWorkflow,
      args: [config.migration],
      workflowId: `transition-${config.migration.migrationId}`,
      taskQueue,
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '10 minutes' },
    state: { note: `Incremental syncs of migration ${config.migration.migrationId} during the transition window` },
  });
}
