// The worker's workflowsPath: every workflow type the task queue serves.
export { migrationWorkflow } from './migration.ts';
export { extractSourceWorkflow } from './extract-source.ts';
export { optInCampaignWorkflow } from './opt-in-campaign.ts';
export { crmSyncWorkflow } from './crm-sync.ts';
export { crmLiveSyncWorkflow } from './crm-live-sync.ts';
export { transitionSyncWorkflow } from './transition-sync.ts';
export { scenarioRolloutWorkflow } from './scenario-rollout.ts';
export { templateApprovalWorkflow } from './template-approval.ts';
export { forgetPersonWorkflow } from './forget-person.ts';
