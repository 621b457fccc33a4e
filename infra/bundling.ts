import * as path from 'node:path';
import { type BundlingOptions, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { PackageTarball } from './native-packages';

/** Root of the repository: the project root of every bundle and the home of the lockfile. */
export const REPO_ROOT = path.resolve(__dirname, '..');

/** Where a bundle's extra files land in Lambda (the asset root is unpacked to `/var/task`). */
export const LAMBDA_TASK_ROOT = '/var/task';

/**
 * What onnxruntime-web needs next to the bundle at run time. Its node build
 * (`ort.node.min.mjs`, which esbuild inlines) dynamically imports the emscripten loader
 * `ort-wasm-simd-threaded.mjs` from the directory of `env.wasm.wasmPaths` (or, without it,
 * from the directory of the bundle), and that loader reads `ort-wasm-simd-threaded.wasm`
 * from the same directory. Neither can be inlined: the import is computed at run time.
 */
export const ORT_RUNTIME_FILES = ['ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'] as const;

/** The installed onnxruntime-web `dist/` directory (resolved, so hoisting does not matter). */
export function ortDistDir(): string {
  return path.dirname(require.resolve('onnxruntime-web'));
}

/**
 * ESM bundles may contain CommonJS dependencies that call `require()` for Node built-ins;
 * esbuild's shim then needs a real `require`, which ESM lacks.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __infergateCreateRequire } from 'node:module'; const require = __infergateCreateRequire(import.meta.url);";

/** Packages left out of the esbuild bundle and shipped in the asset's `node_modules` instead. */
export interface ShippedPackages {
  /** Module names esbuild leaves as imports, e.g. `sharp`. */
  readonly external: readonly string[];
  /** What the asset's `node_modules` holds: each tarball extracted at its lockfile location. */
  readonly tarballs: readonly PackageTarball[];
}

export interface BundleSpec {
  /**
   * Files copied into the asset root after bundling, as absolute paths.
   * @default none
   */
  readonly extraFiles?: readonly string[];
  /**
   * Packages with native code, shipped next to the bundle (see `native-packages.ts`).
   * @default none: the asset has no `node_modules`
   */
  readonly packages?: ShippedPackages;
}

/**
 * The one set of esbuild options every Lambda bundle uses: ESM (`index.mjs`) for
 * top-level await and static imports, minified, with a linked source map (without sources
 * to keep the asset small), the AWS SDK bundled so that the asset runs exactly as tested,
 * and local esbuild only (never Docker). Everything is inlined except `spec.packages`, which
 * (native code) ship as published in the asset's own `node_modules`.
 *
 * @example
 * new NodejsFunction(this, 'Fn', { entry, bundling: bundlingOptions({ extraFiles: ortRuntimeFiles() }) });
 */
export function bundlingOptions(spec: BundleSpec = {}): BundlingOptions {
  const extraFiles = spec.extraFiles ?? [];
  const packages = spec.packages ?? { external: [], tarballs: [] };
  return {
    format: OutputFormat.ESM,
    mainFields: ['module', 'main'],
    banner: ESM_REQUIRE_BANNER,
    minify: true,
    sourceMap: true,
    sourceMapMode: SourceMapMode.DEFAULT,
    sourcesContent: false,
    bundleAwsSDK: true,
    externalModules: [...packages.external],
    forceDockerBundling: false,
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (_inputDir: string, outputDir: string) => [
        ...extraFiles.map(
          (file) => `cp ${shellQuote(file)} ${shellQuote(path.join(outputDir, path.basename(file)))}`,
        ),
        ...packages.tarballs.map(({ location, tarball }) => {
          const target = shellQuote(path.join(outputDir, ...location.split('/')));
          // npm tarballs hold one top directory (`package/`); owners are not kept.
          return `mkdir -p ${target} && tar -xzf ${shellQuote(tarball)} -C ${target} --strip-components=1 --no-same-owner`;
        }),
      ],
    },
  };
}

/**
 * Absolute paths of the onnxruntime-web files the bundles that run models must ship: the
 * inference function (serving) and the admin function (validating models at registration).
 */
export function ortRuntimeFiles(): readonly string[] {
  const dist = ortDistDir();
  return ORT_RUNTIME_FILES.map((file) => path.join(dist, file));
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
