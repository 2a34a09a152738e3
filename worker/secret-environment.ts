import { readFileSync } from 'node:fs';

/**
 * The variables that hold a credential; `DATABASE_URL` holds the database's password. Each may be given instead as
 * `NAME_FILE`, the path of a file that holds it (a Docker or Kubernetes secret), so the value never sits in the
 * environment, where `docker inspect` and crash reports show it.
 */
export const SECRET_VARIABLES = [
  'DATABASE_URL',
  'WHATSAPP_CONTACTS_TOKEN',
  'WHATSAPP_ACCESS_TOKEN',
  'WHATSAPP_APP_SECRET',
  'WHATSAPP_VERIFY_TOKEN',
  'HUBSPOT_TOKEN',
  'HUBSPOT_CLIENT_SECRET',
  'HUBSPOT_REFRESH_TOKEN',
  'SALESFORCE_CLIENT_SECRET',
  'VONAGE_API_KEY',
  'VONAGE_API_SECRET',
  'VONAGE_SIGNATURE_SECRET',
  'PLIVO_AUTH_ID',
  'PLIVO_AUTH_TOKEN',
  'VIBER_AUTH_TOKEN',
] as const;

/** A variable that could not be read, named with its file where it has one, and never with its value. */
export interface EnvironmentProblem {
  variable: string;
  problem: string;
}

export interface SecretEnvironment {
  /** The environment with each `NAME_FILE` read into `NAME`, and the `NAME_FILE`s left out. */
  env: NodeJS.ProcessEnv;
  problems: EnvironmentProblem[];
}

/** Reads every secret file at once, so a start with several wrong ones names them all. */
export function resolveSecretFiles(env: NodeJS.ProcessEnv = process.env): SecretEnvironment {
  const resolved: NodeJS.ProcessEnv = { ...env };
  const problems: EnvironmentProblem[] = [];
  for (const variable of SECRET_VARIABLES) {
    const file = `${variable}_FILE`;
    delete resolved[file];
    const secret = secretFromFile(env, variable);
    if ('problem' in secret) problems.push({ variable, problem: secret.problem });
    else if (secret.value !== undefined) resolved[variable] = secret.value;
  }
  return { env: resolved, problems };
}

/** One secret variable, from itself or its file; a problem is thrown, naming the variable and the file. */
export function secretVariable(env: NodeJS.ProcessEnv, variable: (typeof SECRET_VARIABLES)[number]): string | undefined {
  const secret = secretFromFile(env, variable);
  if ('problem' in secret) throw new Error(secret.problem);
  return secret.value;
}

/** Every credential's value, for the log to replace wherever one appears; the database's password on its own too. */
export function secretValues(env: NodeJS.ProcessEnv): string[] {
  const values = SECRET_VARIABLES.map((variable) => env[variable]).filter((value): value is string => Boolean(value));
  return [...values, ...databasePassword(env.DATABASE_URL)];
}

function secretFromFile(env: NodeJS.ProcessEnv, variable: string): { value: string | undefined } | { problem: string } {
  const file = `${variable}_FILE`;
  const path = env[file];
  // Empty counts as unset: docker-compose passes unset variables through as empty strings.
  if (!path) return { value: env[variable] || undefined };
  if (env[variable]) return { problem: `${variable} and ${file} are both set: give the value or its file (${path}), not both` };
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { problem: `${file}: cannot read ${path}${code ? ` (${code})` : ''}` };
  }
  // Secrets written with `echo` or an editor end with a line break that is no part of the value.
  const value = content.replace(/[\r\n]+$/, '');
  if (value === '') return { problem: `${file}: ${path} is empty` };
  return { value };
}

/** The password as the URL writes it and as the server's errors may quote it (percent-decoded). */
function databasePassword(url: string | undefined): string[] {
  const password = url && URL.canParse(url) ? new URL(url).password : '';
  if (!password) return [];
  try {
    return [password, decodeURIComponent(password)];
  } catch {
    return [password];
  }
}
