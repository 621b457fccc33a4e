import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { CliError } from './errors';

/**
 * Which platform the CLI talks to, and with which admin key. Each setting comes from the
 * first source that has it: the `--url`/`--admin-key` flags, then `INFERGATE_URL` and
 * `INFERGATE_ADMIN_KEY`, then the file the local platform writes when it starts
 * (`$INFERGATE_HOME/local.json`, else `./.infergate/local.json`). The local file's key is
 * only used with the local file's URL, so a local key is never sent to another platform.
 */

export const TARGET_ENV = {
  URL: 'INFERGATE_URL',
  ADMIN_KEY: 'INFERGATE_ADMIN_KEY',
  /** Directory holding `local.json`; `./.infergate` when unset. */
  HOME: 'INFERGATE_HOME',
} as const;

export const LOCAL_CONFIG_FILE = 'local.json';

/** What `npm start` writes for tools: where the local platform listens and its keys. */
const localConfigSchema = z.looseObject({
  url: z.url({ protocol: /^https?$/ }),
  adminKey: z.string().min(1),
  demoKey: z.string().optional(),
  demoModel: z.string().optional(),
});
export type LocalConfig = z.infer<typeof localConfigSchema>;

export type TargetSource = 'flag' | 'env' | 'local';

export interface Target {
  readonly url: string;
  readonly adminKey: string;
  /** Where the URL came from, for messages. */
  readonly urlSource: TargetSource;
}

export interface TargetFlags {
  readonly url?: string;
  readonly adminKey?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** Path of the local platform's `local.json` for this environment and working directory. */
export function localConfigPath(env: Env, cwd: string): string {
  const home = nonEmpty(env[TARGET_ENV.HOME]);
  return join(home ?? join(cwd, '.infergate'), LOCAL_CONFIG_FILE);
}

/** The local platform's settings, or undefined when it has not written any. */
export async function readLocalConfig(path: string): Promise<LocalConfig | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (typeof error === 'object' && error !== null && Reflect.get(error, 'code') === 'ENOENT')
      return undefined;
    throw new CliError('invalid_local_config', `cannot read ${path}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new CliError('invalid_local_config', `${path} is not valid JSON`, { cause });
  }
  const parsed = localConfigSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new CliError(
      'invalid_local_config',
      `${path} is not a valid local config (${problems.join('; ')})`,
    );
  }
  return parsed.data;
}

function sameUrl(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}

/** Resolves the platform URL and admin key; throws a `CliError` saying what to do when it cannot. */
export async function resolveTarget(flags: TargetFlags, env: Env, cwd: string): Promise<Target> {
  const flagUrl = nonEmpty(flags.url);
  const envUrl = nonEmpty(env[TARGET_ENV.URL]);
  const explicitKey = nonEmpty(flags.adminKey) ?? nonEmpty(env[TARGET_ENV.ADMIN_KEY]);
  const fromFlag = flagUrl !== undefined ? { url: flagUrl, urlSource: 'flag' as const } : undefined;
  const fromEnv = envUrl !== undefined ? { url: envUrl, urlSource: 'env' as const } : undefined;
  const chosen = fromFlag ?? fromEnv;

  if (chosen !== undefined && explicitKey !== undefined) return { ...chosen, adminKey: explicitKey };
  const path = localConfigPath(env, cwd);
  const local = await readLocalConfig(path);
  if (chosen === undefined) {
    if (local === undefined) {
      throw new CliError(
        'no_target',
        `no platform to talk to: run \`npm start\` to start the local platform (it writes ${path}), ` +
          `or pass --url (or set ${TARGET_ENV.URL})`,
      );
    }
    return { url: local.url, adminKey: explicitKey ?? local.adminKey, urlSource: 'local' };
  }
  if (local !== undefined && sameUrl(local.url, chosen.url)) return { ...chosen, adminKey: local.adminKey };
  throw new CliError(
    'no_admin_key',
    `no admin key for ${chosen.url}: pass --admin-key or set ${TARGET_ENV.ADMIN_KEY}`,
  );
}
