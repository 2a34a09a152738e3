import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { migrationInputProblems, type MigrationInput } from '../workflows/migration-input.ts';

/**
 * A config file is the workflow's JSON input. A relative source path is read from the config file's
 * folder, and made absolute so the worker finds the same file.
 */
export async function readMigrationConfig(file: string): Promise<MigrationInput> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not valid JSON (${(error as Error).message})`}`);
  }
  const problems = migrationInputProblems(parsed);
  if (problems.length > 0) throw new Error(`${file}:\n  ${problems.join('\n  ')}`);
  const input = parsed as MigrationInput;
  return { ...input, source: { ...input.source, path: resolve(dirname(file), input.source.path) } };
}
