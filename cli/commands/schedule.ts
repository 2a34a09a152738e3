import { parseArgs } from 'node:util';
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { createTemporalClient } from '../../temporal/client.ts';
import { temporalSettings } from '../../temporal/connection-settings.ts';
import { createTransitionSchedule, readTransitionScheduleConfig } from '../transition-schedule.ts';
import { UsageError } from '../usage-error.ts';

const actions: Record<string, (client: Client, id: string, values: Record<string, string | undefined>) => Promise<string>> = {
  async pause(client, id, { note }) {
    await client.schedule.getHandle(id).pause(note ?? 'paused from channelshift');
    return `${id}: paused; no incremental run starts until it is resumed.`;
  },
  async resume(client, id, { note }) {
    await client.schedule.getHandle(id).unpause(note ?? 'resumed from channelshift');
    return `${id}: resumed.`;
  },
  async backfill(client, id, { from, to }) {
    if (!from || !to) throw new UsageError('schedule backfill needs --from and --to (ISO 8601)');
    const [start, end] = [new Date(from), new Date(to)];
    if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end <= start) throw new UsageError('schedule backfill: --from and --to must be dates, --to the later');
    // Backfilled runs go one after another: two runs of one migration never overlap.
    await client.schedule.getHandle(id).backfill({ start, end, overlap: ScheduleOverlapPolicy.BUFFER_ALL });
    return `${id}: the runs due from ${start.toISOString()} to ${end.toISOString()} are queued, one after another.`;
  },
  async show(client, id) {
    const schedule = await client.schedule.getHandle(id).describe();
    return [
      `${id}: ${schedule.state.paused ? `paused (${schedule.state.note ?? ''})` : 'active'}`,
      `  runs so far: ${schedule.info.numActionsTaken}, skipped as overlapping: ${schedule.info.numActionsSkippedOverlap}`,
      `  running now: ${schedule.info.runningActions.map((a) => a.workflow.workflowId).join(', ') || 'none'}`,
      `  next runs: ${schedule.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString()).join(', ') || 'none (the window has ended)'}`,
    ].join('\n');
  },
  async delete(client, id) {
    await client.schedule.getHandle(id).delete();
    return `${id}: deleted; runs already started finish.`;
  },
};

/** `schedule --config FILE` creates the transition window's schedule; `schedule ACTION ID` works on one. */
export async function scheduleCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { config: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, note: { type: 'string' } },
  });
  const [action, id] = positionals;
  if (values.config === undefined && (action === undefined || !(action in actions) || id === undefined)) {
    throw new UsageError(`schedule needs --config FILE, or one of ${Object.keys(actions).join(', ')} and the schedule id`);
  }
  const config = values.config === undefined ? undefined : await readTransitionScheduleConfig(values.config);
  const settings = temporalSettings();
  const client = await createTemporalClient(settings);
  try {
    if (config) {
      await createTransitionSchedule(client, settings.taskQueue, config).catch((error: unknown) => {
        if (error instanceof ScheduleAlreadyRunning) throw new Error(`schedule ${config.scheduleId} exists already: delete it first, or give this one another scheduleId`);
        throw error;
      });
      console.log(
        `Created schedule ${config.scheduleId}: migration ${config.migration.migrationId} every ${config.every} from ${config.start.toISOString()} to ${config.end.toISOString()}.\n` +
          `See it in the Temporal UI under Schedules, or with: channelshift schedule show ${config.scheduleId}`,
      );
    } else {
      console.log(await actions[action!]!(client, id!, values));
    }
  } finally {
    await client.connection.close();
  }
}
