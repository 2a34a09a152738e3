import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Registered on the server (dev server script, docker-compose) so runs can be listed and filtered in the UI. */
export const migrationIdKey = defineSearchAttributeKey('MigrationId', SearchAttributeType.KEYWORD);
export const migrationStageKey = defineSearchAttributeKey('MigrationStage', SearchAttributeType.KEYWORD);

export const migrationSearchAttributes = [migrationIdKey, migrationStageKey];
