import { open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ArchiveEntry } from './source-archive.ts';

/** `<dir>/<migrationId>/manifest.json`: every archive of a migration's sources, one entry per (source, pass). */
export interface BackupManifest {
  migrationId: string;
  entries: ArchiveEntry[];
}

/** Updating a manifest takes milliseconds: a lock this old was left by a worker that died holding it. */
const STALE_LOCK_MS = 30_000;

export function manifestPath(dir: string, migrationId: string): string {
  return join(dir, migrationId, 'manifest.json');
}

/** The manifest of a migration's backup; an error naming the file when it is missing or not a manifest. */
export async function readManifest(dir: string, migrationId: string): Promise<BackupManifest> {
  const path = manifestPath(dir, migrationId);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`no backup manifest for migration "${migrationId}"`);
    throw error;
  }
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch {
    throw new Error('not JSON: the manifest is damaged');
  }
  const problem = manifestProblem(manifest, migrationId);
  if (problem) throw new Error(problem);
  return manifest as BackupManifest;
}

/** The migrations in `dir` that have a backup manifest. */
export async function backedUpMigrations(dir: string): Promise<string[]> {
  let folders;
  try {
    folders = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const migrations: string[] = [];
  for (const folder of folders) {
    if (folder.isDirectory() && (await stat(manifestPath(dir, folder.name)).catch(() => undefined))) migrations.push(folder.name);
  }
  return migrations.sort();
}

/**
 * Lists an archive in its migration's manifest, replacing the entry of the same (source, pass). Sources are
 * archived in parallel, so each update holds a lock file; the manifest is replaced by rename, never half-written.
 */
export async function recordArchive(dir: string, entry: ArchiveEntry): Promise<void> {
  const path = manifestPath(dir, entry.migrationId);
  await withLock(`${path}.lock`, async () => {
    const existing = await stat(path).catch(() => undefined);
    const entries = existing ? (await readManifest(dir, entry.migrationId)).entries : [];
    const kept = entries.filter((e) => e.source !== entry.source || e.pass !== entry.pass);
    const manifest: BackupManifest = {
      migrationId: entry.migrationId,
      entries: [...kept, entry].sort((a, b) => a.source.localeCompare(b.source) || a.pass - b.pass),
    };
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(manifest, null, 2)}\n`, { flush: true });
    await rename(temporary, path);
  });
}

async function withLock(lock: string, update: () => Promise<void>): Promise<void> {
  for (;;) {
    try {
      await (await open(lock, 'wx')).close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const held = await stat(lock).catch(() => undefined);
      if (held && Date.now() - held.mtimeMs > STALE_LOCK_MS) await rm(lock, { force: true });
      else await sleep(10 + Math.random() * 40);
    }
  }
  try {
    await update();
  } finally {
    await rm(lock, { force: true });
  }
}

function manifestProblem(value: unknown, migrationId: string): string | undefined {
  if (typeof value !== 'object' || value === null) return 'not a backup manifest';
  const manifest = value as Partial<BackupManifest>;
  if (typeof manifest.migrationId !== 'string') return 'not a backup manifest: it has no "migrationId"';
  if (manifest.migrationId !== migrationId) return `the manifest is for migration "${String(manifest.migrationId)}", not "${migrationId}"`;
  if (!Array.isArray(manifest.entries)) return 'the manifest has no "entries" list';
  for (const [i, entry] of manifest.entries.entries()) {
    if (typeof entry !== 'object' || entry === null) return `entries[${i}]: not an object`;
    const wrong = entryProblem(entry as unknown as Record<string, unknown>, migrationId);
    if (wrong) return `entries[${i}].${wrong}`;
  }
  return undefined;
}

function entryProblem(entry: Record<string, unknown>, migrationId: string): string | undefined {
  for (const field of ['source', 'kind', 'file', 'sha256', 'createdAt']) {
    if (typeof entry[field] !== 'string') return `${field}: must be text`;
  }
  if (entry.migrationId !== migrationId) return `migrationId: must be "${migrationId}", the manifest's`;
  for (const field of ['pass', 'rows', 'quarantined', 'bytes']) {
    if (!Number.isInteger(entry[field])) return `${field}: must be a whole number`;
  }
  // Archives are read from the migration's own folder, never from a path a damaged manifest points elsewhere.
  if (/[\\/]/.test(entry.file as string) || entry.file === '..') return 'file: must be a file name in the migration\'s folder';
  if (entry.format !== 1) return `format: ${String(entry.format)} is not a format this version reads`;
  return undefined;
}
