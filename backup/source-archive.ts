import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../database/schema.ts';
import { quarantinedColumns, stagedColumns } from './archive-lines.ts';
import { recordArchive } from './backup-manifest.ts';
import { writeGzippedFile, type GzippedFile } from './gzipped-file.ts';

/** Rows read from the database at a time: a source of a million rows never sits in memory. */
const PAGE = 5000;

/** A name that is safe as a file name: no path separators, no `..`. */
const PATH_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** One archive of one source's raw extract, as the manifest lists it. */
export interface ArchiveEntry {
  migrationId: string;
  source: string;
  kind: string;
  pass: number;
  /** Relative to the migration's folder. */
  file: string;
  rows: number;
  quarantined: number;
  /** Size of the compressed file. */
  bytes: number;
  /** Of the compressed file, so a copy can be checked without decompressing it. */
  sha256: string;
  createdAt: string;
  format: 1;
}

/** Where an archive is: `<dir>/<migrationId>/<source>.pass-<n>.jsonl.gz`. */
export function archivePath(dir: string, entry: Pick<ArchiveEntry, 'migrationId' | 'file'>): string {
  return join(dir, entry.migrationId, entry.file);
}

/**
 * Writes every staged and quarantined row of one source to a gzipped JSON-lines file and lists it in the
 * migration's manifest, and records where it went in `backup_archives`. The file is written under a temporary name and
 * renamed, so an archive is either whole or absent; archiving the same pass again (a retried activity) replaces the
 * file and its manifest entry.
 */
export async function archiveSource(
  db: Kysely<Database>,
  options: { dir: string; migrationId: string; source: string; kind: string; pass: number; clock?: () => Date },
): Promise<ArchiveEntry> {
  const { dir, migrationId, source, kind, pass, clock = () => new Date() } = options;
  if (!PATH_SEGMENT.test(migrationId)) throw new Error(`migrationId "${migrationId}" cannot name a backup folder`);
  if (!PATH_SEGMENT.test(source)) throw new Error(`source "${source}" cannot name a backup file`);
  if (!Number.isInteger(pass) || pass < 1) throw new Error(`pass must be a whole number from 1, not ${pass}`);

  const file = `${source}.pass-${pass}.jsonl.gz`;
  const path = join(dir, migrationId, file);
  const temporary = `${path}.${randomUUID()}.tmp`;
  await mkdir(join(dir, migrationId), { recursive: true });

  const counts = { rows: 0, quarantined: 0 };
  let written: GzippedFile;
  try {
    written = await writeGzippedFile(archiveText(db, migrationId, source, counts), temporary);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }

  const entry: ArchiveEntry = {
    migrationId,
    source,
    kind,
    pass,
    file,
    rows: counts.rows,
    quarantined: counts.quarantined,
    ...written,
    createdAt: clock().toISOString(),
    format: 1,
  };
  await recordArchive(dir, entry);
  // Every folder an archive went to, so an erasure request finds each copy of a person's raw rows.
  await db
    .insertInto('backup_archives')
    .values({ dir: resolve(dir), migration_id: migrationId, file })
    .onConflict((c) => c.columns(['dir', 'migration_id', 'file']).doNothing())
    .execute();
  return entry;
}

/** The archive's text, a page of rows at a time: staged rows in `line_no` order, then quarantined rows. */
async function* archiveText(
  db: Kysely<Database>,
  migrationId: string,
  source: string,
  counts: { rows: number; quarantined: number },
): AsyncGenerator<string> {
  let afterLine = -1;
  for (;;) {
    const page = await db
      .selectFrom('staged_rows')
      .select(stagedColumns)
      .where('migration_id', '=', migrationId)
      .where('source', '=', source)
      .where('line_no', '>', afterLine)
      .orderBy('line_no')
      .limit(PAGE)
      .execute();
    if (page.length === 0) break;
    counts.rows += page.length;
    afterLine = page.at(-1)!.line_no;
    yield page.map((row) => `${JSON.stringify({ staged: row })}\n`).join('');
  }

  let afterId = 0;
  for (;;) {
    const page = await db
      .selectFrom('quarantined_rows')
      .select(['id', ...quarantinedColumns])
      .where('migration_id', '=', migrationId)
      .where('source', '=', source)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(PAGE)
      .execute();
    if (page.length === 0) break;
    counts.quarantined += page.length;
    afterId = page.at(-1)!.id;
    yield page.map(({ id, ...row }) => `${JSON.stringify({ quarantined: row })}\n`).join('');
  }
}
