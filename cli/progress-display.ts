import type { MigrationProgress } from '../workflows/migration-progress.ts';

export interface ProgressDisplay {
  show(progress: MigrationProgress): void;
  finish(): void;
}

/** A progress bar on a terminal; plain lines, one per change of stage or tenth of the batches, elsewhere (logs, CI). */
export function progressDisplay(stream: NodeJS.WriteStream = process.stderr): ProgressDisplay {
  return stream.isTTY ? barDisplay(stream) : lineDisplay(stream);
}

function describe(p: MigrationProgress): { label: string; done: number; total: number; unit?: string } {
  switch (p.stage) {
    case 'extract':
      return { label: 'extract', done: 0, total: 0 };
    case 'clean':
      return { label: `clean (${p.extracted} rows extracted)`, done: 0, total: 0 };
    case 'verify':
      return { label: 'verify', done: p.verifiedBatches, total: p.batches };
    case 'opt-in':
      return { label: 'opt-in campaign (replies awaited)', done: 0, total: 0 };
    case 'sync': {
      const done = p.synced + p.syncUnchanged + p.syncFailed;
      return { label: 'sync to CRM', done, total: done + Object.values(p.syncDue).reduce((a, b) => a + b, 0), unit: 'contacts' };
    }
    case 'done':
      return { label: 'done', done: p.batches, total: p.batches };
  }
}

function barDisplay(stream: NodeJS.WriteStream): ProgressDisplay {
  const width = 30;
  return {
    show(progress) {
      const { label, done, total, unit = 'batches' } = describe(progress);
      const share = total === 0 ? 0 : done / total;
      const filled = Math.round(share * width);
      const bar = total === 0 ? ' '.repeat(width) : '█'.repeat(filled) + '░'.repeat(width - filled);
      stream.write(`\r\x1b[2K${label.padEnd(32)} ${bar} ${total === 0 ? '' : `${done}/${total} ${unit}`}`);
    },
    finish() {
      stream.write('\n');
    },
  };
}

function lineDisplay(stream: NodeJS.WriteStream): ProgressDisplay {
  let last = '';
  return {
    show(progress) {
      const { label, done, total, unit = 'batches' } = describe(progress);
      const tenth = total === 0 ? 0 : Math.floor((done * 10) / total);
      const key = `${label}:${tenth}`;
      if (key === last) return;
      last = key;
      stream.write(total === 0 ? `${label}\n` : `${label}: ${done}/${total} ${unit}\n`);
    },
    finish() {},
  };
}
