import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../database/schema.ts';
import { measureDataQuality } from '../activities/clean/data-quality.ts';
import { cleaningCounts } from '../activities/clean/normalize-staged-rows.ts';
import { campaignCounts, type CampaignCounts } from '../activities/opt-in/campaign-counts.ts';
import { buildRolloutReport, type RolloutReport } from '../activities/rollout/rollout-report.ts';
import { reachabilityCounts } from '../activities/verify/verify-batch.ts';

/** One migration's figures for its report: counts only, nothing about any one customer. */
export interface MigrationReportData {
  migrationId: string;
  generatedAt: Date;
  funnel: MigrationFunnel;
  /** Per source: the rows its extraction staged over every pass, and its unreadable lines. */
  sources: { name: string; kind: string; rows: number; quarantined: number }[];
  /** Most frequent first. */
  rejectedByReason: Record<string, number>;
  /** Most contacts first; `consented` and `active` are null when the migration had no opt-in campaign. */
  countries: Breakdown[];
  /** By the set of source channels a contact was found on (`sms`, `viber`, `sms + viber`): each contact in one row. */
  channels: Breakdown[];
  consentOverTime: ConsentTimeline | null;
  /** The A/B figures of every rollout of the migration's contacts, oldest first. */
  rollouts: RolloutReport[];
}

/**
 * Counted as the migration workflow counts them, so the report and the run's summary agree: extraction from the
 * source checkpoints, cleaning from the normalised rows, verification over the verified batches, and the opt-in
 * campaign's own counts.
 */
export interface MigrationFunnel {
  extracted: number;
  quarantined: number;
  valid: number;
  rejected: number;
  duplicatesMerged: number;
  contacts: number;
  verified: number;
  likely: number;
  unlikely: number;
  reachUnknown: number;
  reengage: number;
  /** The latest opt-in campaign of the migration; null when it had none. */
  optIn: (CampaignCounts & { campaignId: string; openedAt: Date; closedAt: Date | null }) | null;
}

export interface Breakdown {
  key: string;
  contacts: number;
  consented: number | null;
  active: number | null;
}

/** Yes and STOP decisions of the campaign's recipients (their latest), by when the customer wrote them. */
export interface ConsentTimeline {
  /** The width of one bucket, in seconds, chosen so the campaign's span fits in a readable number of buckets. */
  bucketSeconds: number;
  buckets: { start: Date; granted: number; withdrawn: number }[];
}

/** Bucket widths from a few seconds (the sandbox's campaigns last a minute) to a week (a real one lasts days). */
const BUCKET_SECONDS = [1, 5, 10, 30, 60, 300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86_400, 7 * 86_400];
const MAX_BUCKETS = 48;

export async function migrationReportData(db: Kysely<Database>, migrationId: string, generatedAt = new Date()): Promise<MigrationReportData> {
  const { contacts, rejectedByReason, duplicatesMerged } = await measureDataQuality(db, migrationId);
  const sources = await db
    .selectFrom('extract_checkpoints')
    .select(['source as name', 'kind', 'rows_staged as rows', 'quarantined'])
    .where('migration_id', '=', migrationId)
    .orderBy('source')
    .execute();
  const cleaned = await cleaningCounts(db, migrationId);
  const verified = await reachabilityCounts(db, migrationId, 'verified');
  const campaign = await db
    .selectFrom('campaigns')
    .select(['campaign_id', 'created_at', 'closed_at'])
    .where('migration_id', '=', migrationId)
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  const optIn = campaign
    ? { campaignId: campaign.campaign_id, openedAt: campaign.created_at, closedAt: campaign.closed_at, ...(await campaignCounts(db, campaign.campaign_id)) }
    : null;
  const rollouts = await db.selectFrom('rollouts').select('rollout_id').where('migration_id', '=', migrationId).orderBy('created_at').execute();

  return {
    migrationId,
    generatedAt,
    funnel: {
      extracted: sources.reduce((sum, s) => sum + s.rows, 0),
      quarantined: sources.reduce((sum, s) => sum + s.quarantined, 0),
      valid: cleaned.valid,
      rejected: cleaned.rejected,
      duplicatesMerged,
      contacts,
      verified: verified.verified,
      likely: verified.likely,
      unlikely: verified.unlikely,
      reachUnknown: verified.unknown,
      reengage: verified.reengage,
      optIn,
    },
    sources,
    rejectedByReason,
    countries: await breakdown(db, migrationId, campaign?.campaign_id ?? null, sql`coalesce(c.country, 'unknown')`),
    channels: await breakdown(db, migrationId, campaign?.campaign_id ?? null, sql`array_to_string(ARRAY(SELECT DISTINCT x FROM unnest(c.channels) AS x ORDER BY 1), ' + ')`),
    consentOverTime: campaign ? await consentTimeline(db, campaign.campaign_id) : null,
    rollouts: await Promise.all(rollouts.map((r) => buildRolloutReport(db, r.rollout_id))),
  };
}

/**
 * Contacts, consents and activations by a key of the contact. Consented is the recipient's decision and active a
 * welcome that reached WhatsApp, counted as the campaign counts them, so the rows add up to its totals.
 */
async function breakdown(db: Kysely<Database>, migrationId: string, campaignId: string | null, key: RawBuilder<string>): Promise<Breakdown[]> {
  const { rows } = await sql<{ key: string; contacts: number; consented: number; active: number }>`
    SELECT ${key} AS key, count(*)::int AS contacts,
           count(*) FILTER (WHERE r.decision = 'granted')::int AS consented,
           coalesce(sum(w.welcomes) FILTER (WHERE c.whatsapp_state = 'active'), 0)::int AS active
    FROM contacts AS c
    LEFT JOIN campaign_recipients AS r ON r.campaign_id = ${campaignId} AND r.contact_id = c.id
    LEFT JOIN (SELECT contact_id, count(*) AS welcomes FROM outbound_messages
               WHERE campaign_id = ${campaignId} AND step = 'welcome' GROUP BY contact_id) AS w ON w.contact_id = c.id
    WHERE c.migration_id = ${migrationId}
    GROUP BY 1
    ORDER BY 2 DESC, 1`.execute(db);
  return rows.map((row) => ({ ...row, consented: campaignId === null ? null : row.consented, active: campaignId === null ? null : row.active }));
}

async function consentTimeline(db: Kysely<Database>, campaignId: string): Promise<ConsentTimeline | null> {
  const { rows: [span] } = await sql<{ first: Date | null; last: Date | null }>`
    SELECT min(decided_at) AS first, max(decided_at) AS last FROM campaign_recipients
    WHERE campaign_id = ${campaignId} AND decided_at IS NOT NULL`.execute(db);
  if (!span?.first || !span.last) return null;
  const spanSeconds = (span.last.getTime() - span.first.getTime()) / 1000;
  const bucketSeconds = BUCKET_SECONDS.find((seconds) => Math.floor(spanSeconds / seconds) + 1 <= MAX_BUCKETS) ?? BUCKET_SECONDS.at(-1)!;
  // Buckets start on whole units of UTC time (a minute, an hour, a day), so their labels read naturally.
  const { rows } = await sql<{ start: Date; granted: number; withdrawn: number }>`
    SELECT date_bin(make_interval(secs => ${bucketSeconds}), decided_at, timestamptz '2000-01-03 00:00:00+00') AS start,
           count(*) FILTER (WHERE decision = 'granted')::int AS granted,
           count(*) FILTER (WHERE decision = 'withdrawn')::int AS withdrawn
    FROM campaign_recipients WHERE campaign_id = ${campaignId} AND decided_at IS NOT NULL
    GROUP BY 1 ORDER BY 1`.execute(db);
  // Empty buckets too: the axis is time, and a quiet hour is part of the picture.
  const byStart = new Map(rows.map((row) => [row.start.getTime(), row]));
  const buckets: ConsentTimeline['buckets'] = [];
  for (let at = rows[0]!.start.getTime(); at <= rows.at(-1)!.start.getTime(); at += bucketSeconds * 1000) {
    const row = byStart.get(at);
    buckets.push({ start: new Date(at), granted: row?.granted ?? 0, withdrawn: row?.withdrawn ?? 0 });
  }
  return { bucketSeconds, buckets };
}
