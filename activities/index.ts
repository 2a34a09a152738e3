import type { ActivityDependencies } from './dependencies.ts';
import { extractSourceActivity } from './extract/extract-source.ts';
import { archiveSourceActivity } from './extract/archive-source.ts';
import { normalizeStagedRowsActivity } from './clean/normalize-staged-rows.ts';
import { mergeContactsActivity } from './clean/merge-contacts.ts';
import { planBatchesActivity } from './verify/plan-batches.ts';
import { verifyBatchActivity } from './verify/verify-batch.ts';
import { syncCrmChangesActivity } from './sync/sync-crm-changes.ts';
import { planCampaignActivity } from './opt-in/plan-campaign.ts';
import { sendCampaignStepActivity } from './opt-in/send-campaign-step.ts';
import { activateConsentingActivity } from './opt-in/activate-consenting.ts';
import { settleActivationsActivity } from './opt-in/settle-activations.ts';
import { campaignCountsActivity, closeCampaignActivity } from './opt-in/campaign-counts.ts';
import { planRolloutActivity } from './rollout/plan-rollout.ts';
import { sendRolloutBatchActivity } from './rollout/send-rollout-batch.ts';
import { sendRolloutFallbacksActivity } from './rollout/send-rollout-fallbacks.ts';
import { rolloutReportActivity } from './rollout/rollout-report.ts';
import { checkTemplateStatusActivity, submitTemplateActivity } from './templates/submit-template.ts';
import { eraseFromBackupsActivity } from './erasure/erase-from-backups.ts';
import { eraseFromDatabaseActivity } from './erasure/erase-from-database.ts';
import { eraseFromCrmActivity } from './erasure/erase-from-crm.ts';
import { completeErasureActivity } from './erasure/complete-erasure.ts';

export type { ActivityDependencies } from './dependencies.ts';

/** The migration's activities, bound to the database and connectors the worker was given. */
export function createActivities(dependencies: ActivityDependencies) {
  return {
    extractSource: extractSourceActivity(dependencies),
    archiveSource: archiveSourceActivity(dependencies),
    normalizeStagedRows: normalizeStagedRowsActivity(dependencies),
    mergeContacts: mergeContactsActivity(dependencies),
    planBatches: planBatchesActivity(dependencies),
    verifyBatch: verifyBatchActivity(dependencies),
    syncCrmChanges: syncCrmChangesActivity(dependencies),
    planCampaign: planCampaignActivity(dependencies),
    sendCampaignStep: sendCampaignStepActivity(dependencies),
    activateConsenting: activateConsentingActivity(dependencies),
    settleActivations: settleActivationsActivity(dependencies),
    closeCampaign: closeCampaignActivity(dependencies),
    campaignCounts: campaignCountsActivity(dependencies),
    planRollout: planRolloutActivity(dependencies),
    sendRolloutBatch: sendRolloutBatchActivity(dependencies),
    sendRolloutFallbacks: sendRolloutFallbacksActivity(dependencies),
    rolloutReport: rolloutReportActivity(dependencies),
    submitTemplate: submitTemplateActivity(dependencies),
    checkTemplateStatus: checkTemplateStatusActivity(dependencies),
    eraseFromBackups: eraseFromBackupsActivity(dependencies),
    eraseFromDatabase: eraseFromDatabaseActivity(dependencies),
    eraseFromCrm: eraseFromCrmActivity(dependencies),
    completeErasure: completeErasureActivity(dependencies),
  };
}

export type MigrationActivities = ReturnType<typeof createActivities>;
