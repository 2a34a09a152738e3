import type { Kysely } from 'kysely';
import { Gauge, type Registry } from 'prom-client';
import type { Database } from '../database/schema.ts';
import { processLog } from '../privacy/structured-log.ts';
import { readPipelineCounts, type PipelineCounts } from './pipeline-counts.ts';

/**
 * `channelshift_contacts{migration,stage,crm}` and `channelshift_rejected_rows{migration,source,reason}`, read from
 * the database. The read takes about a second on a million contacts, so a scrape is answered from the last one and
 * starts the next when that is older than `maxAgeMs` (only the first scrape waits for a read). When the database
 * cannot be read, the next scrape goes without these two rather than show old counts as current.
 */
export function pipelineGauges(registry: Registry, db: Kysely<Database>, maxAgeMs: number): void {
  let last: { counts: PipelineCounts; readAt: number } | undefined;
  let reading: Promise<PipelineCounts | undefined> | undefined;
  const read = () =>
    (reading ??= readPipelineCounts(db)
      .then(
        (counts) => {
          last = { counts, readAt: performance.now() };
          return counts;
        },
        (error: unknown) => {
          processLog.error('Metrics: contacts by stage and rejected rows not read from the database', { error });
          last = undefined;
          return undefined;
        },
      )
      .finally(() => {
        reading = undefined;
      }));
  // Both gauges of one scrape ask at once: they share the read, or the last counts.
  const counts = (): Promise<PipelineCounts | undefined> => {
    if (last === undefined) return read();
    if (performance.now() - last.readAt > maxAgeMs) void read();
    return Promise.resolve(last.counts);
  };

  new Gauge({
    name: 'channelshift_contacts',
    help: 'Contacts of each migration by stage: staged (rows read), cleaned (merged contacts), verified, consented, active on WhatsApp, synced (per CRM)',
    labelNames: ['migration', 'stage', 'crm'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const { migration, stage, crm, count } of (await counts())?.stages ?? []) {
        this.set(crm === undefined ? { migration, stage } : { migration, stage, crm }, count);
      }
    },
  });
  new Gauge({
    name: 'channelshift_rejected_rows',
    help: 'Staged rows cleaning could not use, by migration, source and reason',
    labelNames: ['migration', 'source', 'reason'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const { migration, source, reason, count } of (await counts())?.rejected ?? []) this.set({ migration, source, reason }, count);
    },
  });
}
