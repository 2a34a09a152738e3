import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { migrationInputProblems, type MigrationInput, type Source } from '../workflows/migration-input.ts';

/**
 * A config file is the workflow's JSON input. Relative file and folder paths are read from the config file's
 * folder, and made absolute so the worker finds the same files.
 */
export async function readMigrationConfig(file: string): Promise<MigrationInput> {
  return migrationConfigIn(file, await readConfigFile(file));
}

/** A config file's JSON, or an error naming the file and what is wrong with it. */
export async function readConfigFile(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not valid JSON (${(error as Error).message})`}`);
  }
}

/** The migration input found in `file`, checked and with its paths resolved. */
export function migrationConfigIn(file: string, parsed: unknown): MigrationInput {
  const problems = migrationInputProblems(parsed);
  if (problems.length > 0) throw new Error(`${file}:\n  ${problems.join('\n  ')}`);
  const input = parsed as MigrationInput;
  const fromConfig = (path: string) => resolve(dirname(file), path);
  return {
    ...input,
    backupDir: input.backupDir && fromConfig(input.backupDir),
    sources: input.sources.map((source): Source => {
      switch (source.kind) {
        case 'csv':
        case 'vonage-report-file':
          return { ...source, path: fromConfig(source.path) };
        case 'viber':
          return source.recordsPath ? { ...source, recordsPath: fromConfig(source.recordsPath) } : source;
        default:
          return source;
      }
    }),
  };
}
