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
    `  verified    ${s.verified} contacts: ${s.onWhatsApp} on WhatsApp, ${s.notOnWhatsApp} not, ${s.verified - s.onWhatsApp - s.notOnWhatsApp} unknown (${seconds('verify')} s)`,
    `  synced      ${s.synced} contacts to HubSpot, ${s.syncFailed} refused (dead letters) (${seconds('sync')} s)`,
  ].join('\n');
}
