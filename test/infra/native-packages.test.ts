import { Architecture } from 'aws-cdk-lib/aws-lambda';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../../infra/bundling';
import {
  fileIntegrity,
  lambdaPlatforms,
  type LockedPackage,
  lockedPackages,
  packageTarballs,
} from '../../infra/native-packages';
import { at } from './support/app';

/** The lockfile's entry for `location`, read independently of the module under test. */
function lockEntry(location: string): { version: string; integrity: string } {
  const lock: unknown = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package-lock.json'), 'utf8'));
  return {
    version: String(at(lock, 'packages', location, 'version')),
    integrity: String(at(lock, 'packages', location, 'integrity')),
  };
}

describe('lockedPackages', () => {
  it('takes sharp, its dependencies and the arm64 and x64 glibc builds, at the lockfile’s versions', () => {
    const locked = lockedPackages(['sharp'], lambdaPlatforms(Architecture.ARM_64));

    expect(locked.map((pkg) => pkg.location)).toEqual([
      'node_modules/@img/colour',
      'node_modules/@img/sharp-libvips-linux-arm64',
      'node_modules/@img/sharp-libvips-linux-x64',
      'node_modules/@img/sharp-linux-arm64',
      'node_modules/@img/sharp-linux-x64',
      'node_modules/detect-libc',
      'node_modules/semver',
      'node_modules/sharp',
    ]);
    for (const pkg of locked)
      expect(lockEntry(pkg.location)).toEqual({ version: pkg.version, integrity: pkg.integrity });
    expect(locked.find((pkg) => pkg.name === '@img/sharp-linux-arm64')?.version).toBe(
      locked.find((pkg) => pkg.name === 'sharp')?.version,
    );
  });

  it('takes one build for an x86_64 function, and musl builds for a musl platform', () => {
    const x64 = lockedPackages(['sharp'], lambdaPlatforms(Architecture.X86_64)).map((pkg) => pkg.name);
    const musl = lockedPackages(['sharp'], [{ os: 'linux', cpu: 'arm64', libc: 'musl' }]).map(
      (pkg) => pkg.name,
    );

    expect(x64.filter((name) => name.startsWith('@img/sharp-'))).toEqual([
      '@img/sharp-libvips-linux-x64',
      '@img/sharp-linux-x64',
    ]);
    expect(musl.filter((name) => name.startsWith('@img/sharp-'))).toEqual([
      '@img/sharp-libvips-linuxmusl-arm64',
      '@img/sharp-linuxmusl-arm64',
    ]);
  });

  it('refuses a package the lockfile does not hold, naming it', () => {
    expect(() => lockedPackages(['no-such-package-here'], lambdaPlatforms(Architecture.ARM_64))).toThrow(
      /no entry node_modules\/no-such-package-here/,
    );
  });
});

describe('packageTarballs', () => {
  // Small packages of the lockfile; npm's own cache (after `npm ci`) or the registry serves them.
  const detectLibc = lockedPackages(['detect-libc'], []);
  let cacheDir: string;

  beforeEach(() => {
    cacheDir = mkdtempSync(path.join(tmpdir(), 'infergate-packages-'));
  });

  afterEach(() => {
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('fetches the pinned tarball with npm, checks it against the lockfile and keeps it', () => {
    const [fetched] = packageTarballs(detectLibc, { cacheDir });

    expect(fetched.location).toBe('node_modules/detect-libc');
    expect(path.dirname(fetched.tarball)).toBe(cacheDir);
    expect(fileIntegrity(fetched.tarball)).toBe(lockEntry('node_modules/detect-libc').integrity);
    expect(readdirSync(cacheDir)).toEqual([path.basename(fetched.tarball)]);
  }, 120_000);

  it('serves a verified cached tarball without npm (offline builds)', () => {
    const [first] = packageTarballs(detectLibc, { cacheDir });

    const [again] = packageTarballs(detectLibc, { cacheDir, npm: path.join(cacheDir, 'no-npm-here') });

    expect(again.tarball).toBe(first.tarball);
  }, 120_000);

  it('fetches again over a damaged cached tarball', () => {
    const [first] = packageTarballs(detectLibc, { cacheDir });
    writeFileSync(first.tarball, 'not a tarball');

    const [again] = packageTarballs(detectLibc, { cacheDir });

    expect(fileIntegrity(again.tarball)).toBe(lockEntry('node_modules/detect-libc').integrity);
  }, 120_000);

  it('refuses a tarball whose integrity is not the one pinned, and keeps nothing', () => {
    const [real] = detectLibc;
    const wrong: LockedPackage = { ...real, integrity: lockEntry('node_modules/semver').integrity };

    expect(() => packageTarballs([wrong], { cacheDir })).toThrow(
      new RegExp(
        `detect-libc@${real.version} has integrity ${escape(real.integrity)}; package-lock.json pins`,
      ),
    );
    expect(readdirSync(cacheDir)).toEqual([]);
  }, 120_000);

  it('refuses a cached tarball that does not match, rather than shipping it, when npm cannot run', () => {
    const [fetched] = packageTarballs(detectLibc, { cacheDir });
    const other = lockedPackages(['semver'], []);
    // A tarball under the right name with the wrong bytes: the cache is not trusted by name.
    copyFileSync(fetched.tarball, path.join(cacheDir, `semver-${other[0].version}.tgz`));

    expect(() => packageTarballs(other, { cacheDir, npm: path.join(cacheDir, 'no-npm-here') })).toThrow(
      /Could not fetch semver@.* with npm pack/,
    );
    expect(readdirSync(cacheDir)).toEqual([path.basename(fetched.tarball)]);
  }, 120_000);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
