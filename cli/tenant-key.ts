import { CliError } from './errors';
import type { CliIo } from './io';
import { localConfigPath, readLocalConfig } from './target';

/** A tenant API key for commands that call the data plane, and where it came from. */
export interface TenantKey {
  readonly key: string;
  /** `flag`: `--key`; `local`: the demo tenant's key in the local platform's `local.json`. */
  readonly source: 'flag' | 'local';
}

function sameOrigin(a: string, b: string): boolean {
  try {
    const left = new URL(a);
    const right = new URL(b);
    return (
      left.origin === right.origin && left.pathname.replace(/\/+$/, '') === right.pathname.replace(/\/+$/, '')
    );
  } catch {
    return false;
  }
}

/**
 * The tenant key to call `platformUrl` with: `--key` when given, else the demo tenant's key
 * that `npm start` keeps in `local.json`, but only when the platform is that local one (as
 * with the admin key, a local key is never sent anywhere else).
 *
 * @example
 * const { key } = await resolveTenantKey(options.key, admin.url, context.io);
 * const tenant = new InfergateClient({ url: admin.url, apiKey: key });
 */
export async function resolveTenantKey(
  flag: string | undefined,
  platformUrl: string,
  io: Pick<CliIo, 'env' | 'cwd'>,
): Promise<TenantKey> {
  if (flag !== undefined && flag.trim() !== '') return { key: flag.trim(), source: 'flag' };
  const path = localConfigPath(io.env, io.cwd);
  const local = await readLocalConfig(path);
  if (local?.demoKey !== undefined && sameOrigin(local.url, platformUrl)) {
    return { key: local.demoKey, source: 'local' };
  }
  throw new CliError(
    'no_tenant_key',
    `no tenant key for ${platformUrl}: pass --key <tenant key> (the local platform's demo key is in ${path})`,
  );
}
