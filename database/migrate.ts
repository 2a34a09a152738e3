import type { Kysely } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import * as migrationPipeline from './migrations/0001-migration-pipeline.ts';
import * as sources from './migrations/0002-sources.ts';
import * as optIn from './migrations/0003-opt-in.ts';
import * as crmSync from './migrations/0004-crm-sync.ts';
import * as scenarioRollout from './migrations/0005-scenario-rollout.ts';
import * as whatsAppTemplates from './migrations/0006-whatsapp-templates.ts';
import * as privacy from './migrations/0007-privacy.ts';
import * as campaignLookups from './migrations/0008-campaign-lookups.ts';
import * as webhookNonces from './migrations/0009-webhook-nonces.ts';

/** Migrations are listed here rather than read from a folder, so they also work from a bundle or a container. */
const migrations: Record<string, Migration> = {
  '0001-migration-pipeline': migrationPipeline,
  '0002-sources': sources,
  '0003-opt-in': optIn,
  '0004-crm-sync': crmSync,
  '0005-scenario-rollout': scenarioRollout,
  '0006-whatsapp-templates': whatsAppTemplates,
  '0007-privacy': privacy,
  '0008-campaign-lookups': campaignLookups,
  '0009-webhook-nonces': webhookNonces,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

export async function migrateToLatest(db: Kysely<any>): Promise<void> {
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed: ${String(error)}`, { cause: error });
  }
}
