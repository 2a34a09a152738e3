import { sql, type Kysely } from 'kysely';
import type { Database } from '../database/schema.ts';

export type ContactStage = 'staged' | 'cleaned' | 'verified' | 'consented' | 'active' | 'synced';

/** How many contacts (rows, for `staged`) of a migration have reached a stage; `synced` is counted per CRM. */
export interface StageCount {
  migration: string;
  stage: ContactStage;
  crm?: string;
  count: number;
}

export interface RejectedCount {
  migration: string;
  source: string;
  reason: string;
  count: number;
}

export interface PipelineCounts {
  stages: StageCount[];
  rejected: RejectedCount[];
}

/**
 * Every migration's counts, as the run's summary counts them: rows staged, contacts merged, verified, whose number
 * said yes (the consent state, shared by every migration holding the number), active on WhatsApp, and held by each
 * CRM (it received the contact's fields); rejected rows by source and reason. Each is one scan or join of whole
 * tables, about a second together on a million contacts synced to two CRMs: callers keep the result a while.
 */
export async function readPipelineCounts(db: Kysely<Database>): Promise<PipelineCounts> {
  const [staged, contacts, consented, synced, rejected] = await Promise.all([
    sql<{ migration: string; count: number }>`
      SELECT migration_id AS migration, count(*)::int AS count FROM staged_rows GROUP BY 1`.execute(db),
    sql<{ migration: string; cleaned: number; verified: number; active: number }>`
      SELECT migration_id AS migration, count(*)::int AS cleaned,
        count(*) FILTER (WHERE verified_at IS NOT NULL)::int AS verified,
        count(*) FILTER (WHERE whatsapp_state = 'active')::int AS active
      FROM contacts GROUP BY 1`.execute(db),
    // From the consents: far fewer rows than contacts, each found through the contacts' number index.
    sql<{ migration: string; count: number }>`
      SELECT c.migration_id AS migration, count(*)::int AS count
      FROM consent_states s JOIN contacts c ON c.e164 = s.e164
      WHERE s.decision = 'granted' GROUP BY 1`.execute(db),
    sql<{ migration: string; crm: string; count: number }>`
      SELECT c.migration_id AS migration, s.crm, count(DISTINCT s.contact_id)::int AS count
      FROM crm_sync_state s JOIN contacts c ON c.id = s.contact_id
      WHERE s.synced_fingerprint IS NOT NULL GROUP BY 1, 2`.execute(db),
    sql<RejectedCount>`
      SELECT migration_id AS migration, source, reject_reason AS reason, count(*)::int AS count
      FROM normalized_rows WHERE reject_reason IS NOT NULL GROUP BY 1, 2, 3`.execute(db),
  ]);
  return {
    stages: [
      ...staged.rows.map(({ migration, count }) => ({ migration, stage: 'staged' as const, count })),
      ...contacts.rows.flatMap(({ migration, cleaned, verified, active }) => [
        { migration, stage: 'cleaned' as const, count: cleaned },
        { migration, stage: 'verified' as const, count: verified },
        { migration, stage: 'active' as const, count: active },
      ]),
      ...consented.rows.map(({ migration, count }) => ({ migration, stage: 'consented' as const, count })),
      ...synced.rows.map(({ migration, crm, count }) => ({ migration, stage: 'synced' as const, crm, count })),
    ],
    rejected: rejected.rows,
  };
}
