import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** A key's text and where it came from, for errors that must name the source and never echo the key. */
export interface KeyText {
  text: string;
  source: string;
}

export interface KeySources {
  /** Holds the key itself. */
  variable: string;
  /** Names a file that holds it (a Docker or Kubernetes secret). */
  fileVariable: string;
  /** The key file of a machine with neither variable. */
  localFile: string;
  /** The text of a new key, for a missing local file; may throw where none should be made. */
  newText: () => string;
}

/**
 * A key from `variable`, else the file `fileVariable` names, else the local key file, created (mode 0600) the first
 * time.
 */
export function keyText(env: NodeJS.ProcessEnv, { variable, fileVariable, localFile, newText }: KeySources): KeyText {
  const inline = env[variable];
  const file = env[fileVariable];
  if (inline && file) throw new Error(`set ${variable} or ${fileVariable}, not both`);
  if (inline) return { text: inline, source: variable };
  if (file) {
    const source = `${fileVariable} (${file})`;
    return { text: readKeyFile(file, source), source };
  }
  return { text: readOrCreateLocalKeyFile(localFile, newText), source: localFile };
}

function readKeyFile(path: string, source: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw unreadable(source, error);
  }
}

function readOrCreateLocalKeyFile(path: string, newText: () => string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw unreadable(path, error);
  }
  const text = newText();
  mkdirSync(dirname(path), { recursive: true });
  try {
    writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another process made it first: use theirs, or the two would not agree on the key.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return readFileSync(path, 'utf8');
  }
  return text;
}

function unreadable(source: string, error: unknown): Error {
  return new Error(`${source} cannot be read: ${(error as Error).message}`);
}
