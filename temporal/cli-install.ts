import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** The newest CLI whose go.mod has no `replace` directive, so `go install` accepts it. */
export const TEMPORAL_CLI_VERSION = '1.5.1';

/** Built tools are kept outside the work tree so every clone (and CI) reuses them. */
export function toolsDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.CHANNELSHIFT_TOOLS_DIR ?? join(homedir(), '.cache', 'channelshift', 'tools');
}

/**
 * The `temporal` CLI: from PATH, else the tools folder, else built with Go from the module proxy, else the
 * official release download. Each way is tried only where the previous one found nothing.
 */
export async function findOrInstallTemporalCli(log: (line: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const onPath = (env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'temporal')).find(isExecutable);
  if (onPath) return onPath;
  const dir = toolsDir(env);
  const cached = join(dir, 'temporal');
  if (isExecutable(cached)) return cached;

  mkdirSync(dir, { recursive: true });
  if (spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0) {
    log(`Building the Temporal CLI v${TEMPORAL_CLI_VERSION} with Go into ${dir} (a few minutes, once)...`);
    const build = spawnSync('go', ['install', `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`], {
      env: { ...env, GOBIN: dir },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (build.status === 0 && isExecutable(cached)) return cached;
    log('Building with Go failed; trying the release download.');
  }
  await download(cached, log);
  return cached;
}

async function download(target: string, log: (line: string) => void): Promise<void> {
  const arch = process.arch === 'arm64' ? 'arm64' : 'amd64';
  const url = `https://temporal.download/cli/archive/v${TEMPORAL_CLI_VERSION}?platform=${process.platform}&arch=${arch}`;
  log(`Downloading the Temporal CLI from ${url}...`);
  let archive: ArrayBuffer;
  try {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    archive = await response.arrayBuffer();
  } catch (error) {
    throw new Error(
      `no Temporal CLI found: not on PATH, not in ${target}, Go could not build it and the download failed (${String(error)}). ` +
        `Install Go or the Temporal CLI, or set TEMPORAL_ADDRESS to a running server.`,
    );
  }
  const work = mkdtempSync(join(tmpdir(), 'temporal-cli-'));
  try {
    writeFileSync(join(work, 'cli.tar.gz'), Buffer.from(archive));
    const untar = spawnSync('tar', ['-xzf', 'cli.tar.gz', 'temporal'], { cwd: work, stdio: 'inherit' });
    if (untar.status !== 0) throw new Error('the downloaded Temporal CLI archive could not be unpacked');
    renameSync(join(work, 'temporal'), target);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
