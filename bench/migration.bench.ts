// The migration slice on a generated customer base, in sandbox mode: contacts per second per stage, peak memory.
import { parseArgs } from 'node:util';
import { startOrAttach } from '../cli/follow-migration.ts';
import { customerBaseColumns } from '../demo/customer-base.ts';
import { PRO_BURST_LIMIT } from '../connectors/hubspot/burst-limit.ts';
import { startSandboxStack } from '../demo/sandbox-stack.ts';
import { customerBaseFile } from './customer-base-file.ts';

async function runMigrationSliceBench(rows: number): Promise<void> {
  const log = (line: string) => console.error(line);
  const file = customerBaseFile(rows);

  let peakHeap = 0;
  const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 100);
  const stack = await startSandboxStack(log);
  try {
    const started = performance.now();
    const handle = await startOrAttach(stack.client, stack.temporal.taskQueue, {
      migrationId: `bench-${Date.now().toString(36)}`,
      sources: [{ kind: 'csv', name: 'bench', path: file, columns: customerBaseColumns }],
    });
    const s = await handle.result();
    const wall = (performance.now() - started) / 1000;
    const perSecond = (count: number, stage: keyof typeof s.stageMillis) => Math.round(count / ((s.stageMillis[stage] ?? 0) / 1000));
    const hubspotRequests = Math.ceil(s.contacts / 100);
    const allowedRequests = PRO_BURST_LIMIT.requests / (PRO_BURST_LIMIT.intervalMs / 1000);
    const syncSeconds = (s.stageMillis.sync ?? 0) / 1000;

    console.log(`\nmigration slice, ${s.extracted} rows → ${s.contacts} contacts, ${wall.toFixed(1)} s wall`);
    console.log(`  extract  ${perSecond(s.extracted, 'extract')} rows/s`);
    console.log(`  clean    ${perSecond(s.extracted, 'clean')} rows/s (normalise, merge on E.164, plan batches)`);
    console.log(`  verify   ${perSecond(s.verified, 'verify')} contacts/s (contacts check emulator, no added latency)`);
    console.log(
      `  sync     ${perSecond(s.synced, 'sync')} contacts/s: ${hubspotRequests} upserts of ≤ 100 at ${(hubspotRequests / syncSeconds).toFixed(1)} requests/s, ` +
        `HubSpot allows ${PRO_BURST_LIMIT.requests} per 10 s (${allowedRequests}/s); 429 answers: ${stack.emulators.hubspot.rateLimitedCount()}`,
    );
    console.log(`  peak memory: ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB resident, ${Math.round(peakHeap / 2 ** 20)} MiB heap`);
    console.log('  (one process: worker, emulators and, without DATABASE_URL, the embedded database)');
  } finally {
    clearInterval(sampler);
    await stack.close();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { rows: { type: 'string', default: '100000' } } });
  await runMigrationSliceBench(Number(values.rows));
}
