import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { archiveLines } from './archive-lines.ts';
import { backedUpMigrations, manifestPath, readManifest } from './backup-manifest.ts';
import { archivePath, type ArchiveEntry } from './source-archive.ts';

/** Something wrong with a backup: `file` is the archive's or the manifest's path. */
export interface BackupProblem {
  file: string;
  problem: string;
}

/**
 * Checks every archive listed in the manifests under `dir` (or in one migration's): the file is there, has the
 * size and sha256 the manifest recorded, decompresses, and holds as many staged and quarantined rows as listed.
 */
export async function verifyBackup(dir: string, migrationId?: string): Promise<{ checked: ArchiveEntry[]; problems: BackupProblem[] }> {
  const checked: ArchiveEntry[] = [];
  const problems: BackupProblem[] = [];
  const migrations = migrationId === undefined ? await backedUpMigrations(dir) : [migrationId];
  if (migrations.length === 0) problems.push({ file: dir, problem: 'no backup manifest in this folder' });
  for (const id of migrations) {
    let entries: ArchiveEntry[];
    try {
      entries = (await readManifest(dir, id)).entries;
    } catch (error) {
      problems.push({ file: manifestPath(dir, id), problem: (error as Error).message });
      continue;
    }
    for (const entry of entries) {
      const file = archivePath(dir, entry);
      for (const problem of await archiveProblems(file, entry)) problems.push({ file, problem });
      checked.push(entry);
    }
  }
  return { checked, problems };
}

/** Each check is made on its own, so a report says all that is wrong with a file, not only the first thing. */
async function archiveProblems(file: string, entry: ArchiveEntry): Promise<string[]> {
  const size = (await stat(file).catch(() => undefined))?.size;
  if (size === undefined) return ['missing'];
  const problems: string[] = [];
  if (size !== entry.bytes) problems.push(`${size} bytes, the manifest says ${entry.bytes}`);
  const sha256 = await fileSha256(file);
  if (sha256 !== entry.sha256) problems.push(`sha256 ${sha256} differs from the manifest's ${entry.sha256}: the file changed after it was archived`);

  const counted = { staged: 0, quarantined: 0 };
  try {
    for await (const line of archiveLines(file)) {
      if ('staged' in line) counted.staged++;
      else counted.quarantined++;
    }
  } catch (error) {
    problems.push(`unreadable: ${(error as Error).message}`);
    return problems;
  }
  if (counted.staged !== entry.rows) problems.push(`${counted.staged} staged rows, the manifest says ${entry.rows}`);
  if (counted.quarantined !== entry.quarantined) problems.push(`${counted.quarantined} quarantined rows, the manifest says ${entry.quarantined}`);
  return problems;
}

async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
