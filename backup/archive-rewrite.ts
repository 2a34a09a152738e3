import { rename, rm, stat } from 'node:fs/promises';
import { archiveLines, type ArchiveLine } from './archive-lines.ts';
import { manifestPath, readManifest, recordArchive } from './backup-manifest.ts';
import { writeGzippedFile } from './gzipped-file.ts';
import { archivePath } from './source-archive.ts';

/** What a rewrite took out of one archive. */
export interface RemovedLines {
  staged: number;
  quarantined: number;
}

/**
 * Writes an archive again without the lines `remove` picks (an erasure request's), in the same gzipped JSON-lines
 * format, and gives its manifest entry the new size, sha256 and row counts, so `backup verify` still passes. An
 * archive with no such line, or no longer there, is left as it is, not written again. The manifest is updated
 * before the new file replaces the old one: if a worker dies between the two, the old file still holds the lines,
 * and the retry writes the same file again and completes the swap.
 */
export async function removeArchiveLines(
  dir: string,
  migrationId: string,
  file: string,
  remove: (line: ArchiveLine) => boolean,
): Promise<RemovedLines> {
  const removed: RemovedLines = { staged: 0, quarantined: 0 };
  const path = archivePath(dir, { migrationId, file });
  if (!(await stat(path).catch(() => undefined))) return removed;
  // Most archives hold no line of the person: reading one is cheap, compressing and flushing a copy is not.
  if (!(await holdsAny(path, remove))) return removed;

  const kept = { staged: 0, quarantined: 0 };
  const temporary = `${path}.erasure.tmp`;
  try {
    const written = await writeGzippedFile(
      (async function* () {
        for await (const line of archiveLines(path)) {
          const counts = remove(line) ? removed : kept;
          if ('staged' in line) counts.staged++;
          else counts.quarantined++;
          // Parsed and written again, a kept line is the same text: JSON keeps its keys in order.
          if (counts === kept) yield `${JSON.stringify(line)}\n`;
        }
      })(),
      temporary,
    );
    // An archive its manifest no longer lists (replaced by a later pass) is erased all the same.
    const listed = (await stat(manifestPath(dir, migrationId)).catch(() => undefined)) !== undefined;
    const entry = listed ? (await readManifest(dir, migrationId)).entries.find((e) => e.file === file) : undefined;
    if (entry) await recordArchive(dir, { ...entry, rows: kept.staged, quarantined: kept.quarantined, ...written });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return removed;
}

async function holdsAny(path: string, picks: (line: ArchiveLine) => boolean): Promise<boolean> {
  for await (const line of archiveLines(path)) if (picks(line)) return true;
  return false;
}
