import type { MigrationSummary } from '../workflows/migration-progress.ts';

/** The summary a person reads at the end of a run; the counts add up line by line. */
export function summaryText(s: MigrationSummary): string {
  const reasons = Object.entries(s.quality.rejectedByReason)
    .map(([reason, rows]) => `${reason} ${rows}`)
    .join(', ');
  const { conflicts } = s.quality;
  const seconds = (stage: keyof MigrationSummary['stageMillis']) => ((s.stageMillis[stage] ?? 0) / 1000).toFixed(1);
  return [
    `Migration ${s.migrationId}: ${s.stage}`,
    `  extracted   ${s.extracted} rows (${seconds('extract')} s), ${s.quarantined} unreadable lines in quarantine`,
    ...Object.entries(s.sources).map(([name, source]) => `    ${name.padEnd(20)} ${source.kind.padEnd(18)} ${source.rows} rows, ${source.quarantined} in quarantine`),
    `  cleaned     ${s.valid} valid + ${s.rejected} rejected${reasons ? ` (${reasons})` : ''} (${seconds('clean')} s)`,
    `  merged      ${s.quality.duplicatesMerged} duplicates → ${s.contacts} contacts` +
      ` (${conflicts.viberUserWithSeveralNumbers + conflicts.numberWithSeveralViberUsers} conflicts left for a person)`,
    `  verified    ${s.verified} contacts: ${s.likely} likely on WhatsApp, ${s.unlikely} unlikely, ${s.reachUnknown} unknown; ${s.reengage} for re-engagement (${seconds('verify')} s)`,
    ...(s.optIn
      ? [
          `  opt-in      ${s.optIn.recipients} asked: ${s.optIn.notices} notices, ${s.optIn.reminders} reminders, ${s.optIn.refused} refused by the vendor (${seconds('opt-in')} s)`,
          `              ${s.optIn.granted} yes, ${s.optIn.withdrawn} STOP, ${s.optIn.undecided} undecided`,
          `  activated   ${s.optIn.welcomes} welcomed: ${s.optIn.active} active on WhatsApp, ${s.optIn.notOnWhatsApp} not on WhatsApp, ${s.optIn.activationFailed} failed, ${s.optIn.activationUnknown} no status`,
        ]
      : []),
    `  synced      ${s.synced} contact writes to the CRMs, ${s.syncUnchanged} already current, ${s.syncFailed} refused (see channelshift dlq list) (${seconds('sync')} s)`,
  ].join('\n');
}
