import { defineQuery } from '@temporalio/workflow';

export type MigrationStage = 'extract' | 'clean' | 'verify' | 'sync' | 'done';

export const migrationStages: readonly MigrationStage[] = ['extract', 'clean', 'verify', 'sync', 'done'];

/** Counts only: what a person watching the run needs, and nothing about any one contact. */
export interface MigrationProgress {
  migrationId: string;
  stage: MigrationStage;
  extracted: number;
  valid: number;
  rejected: number;
  rejectedByReason: Record<string, number>;
  duplicatesMerged: number;
  contacts: number;
  batches: number;
  verifiedBatches: number;
  verified: number;
  onWhatsApp: number;
  notOnWhatsApp: number;
  syncedBatches: number;
  synced: number;
  syncFailed: number;
  /** Milliseconds each finished stage took, for throughput figures. */
  stageMillis: Partial<Record<Exclude<MigrationStage, 'done'>, number>>;
}

export type MigrationSummary = MigrationProgress;

export const progressQuery = defineQuery<MigrationProgress>('progress');

export function emptyProgress(migrationId: string): MigrationProgress {
  return {
    migrationId,
    stage: 'extract',
    extracted: 0,
    valid: 0,
    rejected: 0,
    rejectedByReason: {},
    duplicatesMerged: 0,
    contacts: 0,
    batches: 0,
    verifiedBatches: 0,
    verified: 0,
    onWhatsApp: 0,
    notOnWhatsApp: 0,
    syncedBatches: 0,
    synced: 0,
    syncFailed: 0,
    stageMillis: {},
  };
}
