import { defineQuery } from '@temporalio/workflow';
import type { CampaignCounts } from '../activities/opt-in/campaign-counts.ts';
import type { CrmName } from '../connectors/crm-contact.ts';

export type MigrationStage = 'extract' | 'clean' | 'verify' | 'opt-in' | 'sync' | 'done';

export const migrationStages: readonly MigrationStage[] = ['extract', 'clean', 'verify', 'opt-in', 'sync', 'done'];

/** What cleaning found, in counts by category: the run's data-quality report. */
export interface DataQuality {
  rejectedByReason: Record<string, number>;
  contactsByCountry: Record<string, number>;
  contactsByLineType: Record<string, number>;
  /** Valid rows that were another row's number, merged away. */
  duplicatesMerged: number;
  /** Contacts made of more than one row. */
  contactsFromSeveralRows: number;
  conflicts: { viberUserWithSeveralNumbers: number; numberWithSeveralViberUsers: number };
}

/** Counts only: what a person watching the run needs, and nothing about any one contact. */
export interface MigrationProgress {
  migrationId: string;
  stage: MigrationStage;
  /** Per source name: what its extraction staged over every pass, and the lines it put in quarantine. */
  sources: Record<string, SourceCounts>;
  extracted: number;
  /** File lines that could not be read as rows, kept in quarantine with their reasons. */
  quarantined: number;
  valid: number;
  rejected: number;
  contacts: number;
  quality: DataQuality;
  batches: number;
  verifiedBatches: number;
  verified: number;
  /** Reachability estimates: likely or unlikely on WhatsApp, or no telling yet. */
  likely: number;
  unlikely: number;
  reachUnknown: number;
  /** Inactive or unlikely contacts, kept for a re-engagement campaign. */
  reengage: number;
  /** Where the opt-in campaign ended; null when the migration has none. */
  optIn: CampaignCounts | null;
  /** CRM writes: contacts written, found already current (not sent), refused (in the dead letters). */
  synced: number;
  syncUnchanged: number;
  syncFailed: number;
  /** Per CRM: contacts still to send after the last slice. */
  syncDue: Partial<Record<CrmName, number>>;
  /** Milliseconds each finished stage took, for throughput figures. */
  stageMillis: Partial<Record<Exclude<MigrationStage, 'done'>, number>>;
}

export interface SourceCounts {
  kind: string;
  pass: number;
  rows: number;
  quarantined: number;
}

export type MigrationSummary = MigrationProgress;

export const progressQuery = defineQuery<MigrationProgress>('progress');

export function emptyProgress(migrationId: string): MigrationProgress {
  return {
    migrationId,
    stage: 'extract',
    sources: {},
    extracted: 0,
    quarantined: 0,
    valid: 0,
    rejected: 0,
    contacts: 0,
    quality: {
      rejectedByReason: {},
      contactsByCountry: {},
      contactsByLineType: {},
      duplicatesMerged: 0,
      contactsFromSeveralRows: 0,
      conflicts: { viberUserWithSeveralNumbers: 0, numberWithSeveralViberUsers: 0 },
    },
    batches: 0,
    verifiedBatches: 0,
    verified: 0,
    likely: 0,
    unlikely: 0,
    reachUnknown: 0,
    reengage: 0,
    optIn: null,
    synced: 0,
    syncUnchanged: 0,
    syncFailed: 0,
    syncDue: {},
    stageMillis: {},
  };
}
