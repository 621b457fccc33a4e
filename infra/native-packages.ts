import { Architecture } from 'aws-cdk-lib/aws-lambda';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from './bundling';

/**
 * Packages with native code (sharp and its libvips build) cannot be inlined by esbuild: they
 * ship in the asset's `node_modules` as the npm registry publishes them, at the versions and
 * integrity the lockfile pins, for the platforms the asset must run on.
 */

/**
 * Where verified tarballs are kept between builds (`dist/` is git-ignored and outlives the
 * synthesized `dist/cdk.out`). After the first fetch, builds work offline.
 */
export const PACKAGE_CACHE_DIR = path.join(REPO_ROOT, 'dist', 'cache', 'packages');

/** A platform in npm's terms (`os`, `cpu`, `libc` of package.json). */
export interface PackagePlatform {
  readonly os: string;
  readonly cpu: string;
  readonly libc: 'glibc' | 'musl';
}

/** One package of the lockfile. */
export interface LockedPackage {
  /** Where the lockfile installs it, e.g. `node_modules/@img/sharp-linux-arm64`. */
  readonly location: string;
  readonly name: string;
  readonly version: string;
  /** Subresource integrity of its tarball (`sha512-...`), as the registry published it. */
  readonly integrity: string;
}

/** A locked package's verified tarball, to be extracted at `location` in an asset. */
export interface PackageTarball {
  readonly location: string;
  /** Absolute path of the `.tgz`. */
  readonly tarball: string;
}

/**
 * The platforms a Lambda asset's native packages are shipped for: Linux (glibc, as on
 * Amazon Linux 2023) on the function's architecture, and linux-x64 as well, so that the very
 * asset that deploys runs on x64 build and CI machines (the asset tests, the cold-start
 * bench). The packages choose their binary at run time.
 *
 * @example
 * lambdaPlatforms(Architecture.ARM_64); // linux arm64 glibc, linux x64 glibc
 */
export function lambdaPlatforms(architecture: Architecture): PackagePlatform[] {
  const cpu = architecture.name === Architecture.ARM_64.name ? 'arm64' : 'x64';
  const platforms: PackagePlatform[] = [{ os: 'linux', cpu, libc: 'glibc' }];
  if (cpu !== 'x64') platforms.push({ os: 'linux', cpu: 'x64', libc: 'glibc' });
  return platforms;
}

interface LockEntry {
  readonly name?: string;
  readonly version?: string;
  readonly integrity?: string;
  readonly link?: boolean;
  readonly os?: readonly string[];
  readonly cpu?: readonly string[];
  readonly libc?: readonly string[];
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly optionalDependencies?: Readonly<Record<string, string>>;
}

/**
 * `roots` and everything they need at run time on any of `platforms`, read from the lockfile
 * (v2 or v3): dependencies, and optional dependencies whose `os`/`cpu`/`libc` fit one of the
 * platforms, resolved the way Node resolves them (nearest `node_modules` first). Sorted by
 * location, so parents come before what they nest.
 *
 * @example
 * lockedPackages(['sharp'], lambdaPlatforms(Architecture.ARM_64));
 * // sharp, @img/colour, detect-libc, semver, @img/sharp-linux-arm64, @img/sharp-libvips-linux-arm64, ...x64
 */
export function lockedPackages(
  roots: readonly string[],
  platforms: readonly PackagePlatform[],
  lockfile: string = path.join(REPO_ROOT, 'package-lock.json'),
): LockedPackage[] {
  const packages = readLockfile(lockfile);
  const found = new Map<string, LockedPackage>();
  const visit = (location: string, requiredBy: string): void => {
    if (found.has(location)) return;
    const entry = packages.get(location);
    if (entry === undefined)
      throw new Error(`${lockfile} has no entry ${location} (needed by ${requiredBy})`);
    if (entry.link === true)
      throw new Error(`${location} is a link in ${lockfile}; only registry packages can be shipped`);
    const name = entry.name ?? packageName(location);
    if (entry.version === undefined || entry.integrity === undefined)
      throw new Error(`${lockfile} pins no version and integrity for ${location}`);
    found.set(location, { location, name, version: entry.version, integrity: entry.integrity });
    const dependencies = [
      ...Object.keys(entry.dependencies ?? {}),
      ...Object.keys(entry.optionalDependencies ?? {}),
    ];
    for (const dependency of dependencies) {
      const resolved = resolve(packages, location, dependency);
      if (resolved === undefined) {
        if (entry.optionalDependencies?.[dependency] !== undefined) continue;
        throw new Error(`${lockfile} cannot resolve ${dependency}, a dependency of ${name}`);
      }
      const target = packages.get(resolved);
      if (target !== undefined && platforms.some((platform) => fits(target, platform))) visit(resolved, name);
    }
  };
  for (const root of roots) visit(`node_modules/${root}`, 'the asset');
  return [...found.values()].sort((a, b) => a.location.localeCompare(b.location));
}

export interface PackageCacheOptions {
  /** @default PACKAGE_CACHE_DIR */
  readonly cacheDir?: string;
  /** The npm executable. @default 'npm' */
  readonly npm?: string;
}

/**
 * The tarball of each package, from the cache when its bytes still match the lockfile's
 * integrity, otherwise fetched with `npm pack <name>@<version>` (npm checks the download
 * against the registry's published integrity; this checks it again against the lockfile's),
 * then kept in the cache. Fetches are written to a scratch file and renamed into place, so
 * concurrent builds never see half a tarball.
 *
 * @example
 * const tarballs = packageTarballs(lockedPackages(['sharp'], lambdaPlatforms(Architecture.ARM_64)));
 */
export function packageTarballs(
  packages: readonly LockedPackage[],
  options: PackageCacheOptions = {},
): PackageTarball[] {
  const cacheDir = options.cacheDir ?? PACKAGE_CACHE_DIR;
  const npm = options.npm ?? 'npm';
  return packages.map((pkg) => ({ location: pkg.location, tarball: cachedTarball(pkg, cacheDir, npm) }));
}

/** `sha512-<base64>` of a file, the form lockfiles and the registry use. */
export function fileIntegrity(file: string): string {
  return `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;
}

function cachedTarball(pkg: LockedPackage, cacheDir: string, npm: string): string {
  const expected = sha512Of(pkg);
  const file = path.join(cacheDir, `${pkg.name.replace(/^@/, '').replace(/\//g, '-')}-${pkg.version}.tgz`);
  if (existsSync(file)) {
    if (fileIntegrity(file) === expected) return file;
    rmSync(file, { force: true }); // damaged or from another lockfile: fetched again
  }
  mkdirSync(cacheDir, { recursive: true });
  const scratch = mkdtempSync(path.join(cacheDir, '.fetch-'));
  try {
    const fetched = path.join(scratch, npmPack(npm, pkg, scratch));
    const actual = fileIntegrity(fetched);
    if (actual !== expected) {
      throw new Error(
        `The registry's ${pkg.name}@${pkg.version} has integrity ${actual}; package-lock.json pins ${expected}`,
      );
    }
    renameSync(fetched, file);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return file;
}

/** Runs `npm pack` into `directory` and returns the file name it wrote. */
function npmPack(npm: string, pkg: LockedPackage, directory: string): string {
  const spec = `${pkg.name}@${pkg.version}`;
  let output: string;
  try {
    output = execFileSync(
      npm,
      ['pack', spec, '--pack-destination', directory, '--json', '--prefer-offline', '--loglevel=error'],
      // The repository's .npmrc (registry, proxy) applies; npm's own cache serves repeated fetches.
      { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 },
    );
  } catch (error) {
    const stderr =
      typeof error === 'object' && error !== null && 'stderr' in error ? String(error.stderr).trim() : '';
    throw new Error(
      `Could not fetch ${spec} with npm pack (the first build needs the npm registry; later builds use ${PACKAGE_CACHE_DIR})${stderr === '' ? '' : `: ${stderr.split('\n').slice(-3).join(' ')}`}`,
      { cause: error },
    );
  }
  const packed: unknown = JSON.parse(output);
  const filename = Array.isArray(packed) ? field(packed[0], 'filename') : undefined;
  if (typeof filename !== 'string' || path.basename(filename) !== filename)
    throw new Error(`npm pack ${spec} did not name the tarball it wrote`);
  return filename;
}

function sha512Of(pkg: LockedPackage): string {
  const sha512 = pkg.integrity.split(/\s+/).find((hash) => hash.startsWith('sha512-'));
  if (sha512 === undefined)
    throw new Error(`package-lock.json pins ${pkg.name}@${pkg.version} without a sha512 integrity`);
  return sha512;
}

function readLockfile(lockfile: string): Map<string, LockEntry> {
  const parsed: unknown = JSON.parse(readFileSync(lockfile, 'utf8'));
  const packages = field(parsed, 'packages');
  if (typeof packages !== 'object' || packages === null)
    throw new Error(`${lockfile} has no "packages" (lockfileVersion 2 or 3 is needed)`);
  return new Map(Object.entries(packages).map(([location, entry]) => [location, lockEntry(entry)]));
}

/** The fields of a lockfile entry this module reads; anything unexpected is left out. */
function lockEntry(value: unknown): LockEntry {
  const text = (key: string) => {
    const found = field(value, key);
    return typeof found === 'string' ? found : undefined;
  };
  const list = (key: string) => {
    const found = field(value, key);
    return Array.isArray(found)
      ? found.filter((item): item is string => typeof item === 'string')
      : undefined;
  };
  const names = (key: string) => {
    const found = field(value, key);
    return typeof found === 'object' && found !== null
      ? Object.fromEntries(
          Object.entries(found).filter((pair): pair is [string, string] => typeof pair[1] === 'string'),
        )
      : undefined;
  };
  return {
    name: text('name'),
    version: text('version'),
    integrity: text('integrity'),
    link: field(value, 'link') === true,
    os: list('os'),
    cpu: list('cpu'),
    libc: list('libc'),
    dependencies: names('dependencies'),
    optionalDependencies: names('optionalDependencies'),
  };
}

/** The location Node would load `dependency` from when required by the package at `from`. */
function resolve(
  packages: ReadonlyMap<string, LockEntry>,
  from: string,
  dependency: string,
): string | undefined {
  for (let base = from; ;) {
    const candidate = base === '' ? `node_modules/${dependency}` : `${base}/node_modules/${dependency}`;
    if (packages.has(candidate)) return candidate;
    if (base === '') return undefined;
    const parent = base.lastIndexOf('/node_modules/');
    base = parent === -1 ? '' : base.slice(0, parent);
  }
}

function packageName(location: string): string {
  return location.slice(location.lastIndexOf('node_modules/') + 'node_modules/'.length);
}

/** npm's `os`/`cpu`/`libc` rules: `!x` excludes x; a list of names admits only those. */
function fits(entry: LockEntry, platform: PackagePlatform): boolean {
  return (
    allows(entry.os, platform.os) &&
    allows(entry.cpu, platform.cpu) &&
    (platform.os !== 'linux' || allows(entry.libc, platform.libc))
  );
}

function allows(list: readonly string[] | undefined, value: string): boolean {
  if (list === undefined || list.length === 0) return true;
  if (list.includes(`!${value}`)) return false;
  const admitted = list.filter((item) => !item.startsWith('!'));
  return admitted.length === 0 || admitted.includes(value);
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && key in value ? Reflect.get(value, key) : undefined;
}
