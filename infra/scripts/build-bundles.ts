/**
 * `npm run build`: bundles every function exactly as `cdk deploy` would (it synthesizes the
 * app with bundling on, into dist/cdk.out), writes each asset as dist/functions/<name>.zip
 * and prints its size. Fails when the inference or the admin asset (both ship onnxruntime-web)
 * exceeds the zipped budget, or any asset Lambda's 250 MB unzipped. The inference asset also
 * holds sharp in its node_modules (infra/native-packages.ts): the first build fetches the
 * pinned tarballs with npm, later builds take them from dist/cache/packages.
 *
 *   npm run build            # cdk.json's context
 *   npm run build -- prod    # another stage
 */
import { App } from 'aws-cdk-lib';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createApp } from '../app';
import { REPO_ROOT } from '../bundling';
import { functionAssets, INFERENCE_ASSET_LIMIT_BYTES, LAMBDA_UNZIPPED_LIMIT_BYTES } from '../function-assets';
import { directorySize, listFiles, zipDirectory } from '../zip';

export interface BundleReport {
  readonly name: string;
  readonly directory: string;
  readonly zipFile: string;
  readonly files: readonly string[];
  readonly unzippedBytes: number;
  readonly zippedBytes: number;
}

/** Synthesizes the app into `outdir` and zips each function asset into `zipDir`. */
export function buildBundles(options: { outdir: string; zipDir: string; stage?: string }): BundleReport[] {
  const cdkJson: unknown = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8'));
  const context =
    typeof cdkJson === 'object' &&
    cdkJson !== null &&
    'context' in cdkJson &&
    typeof cdkJson.context === 'object'
      ? { ...cdkJson.context }
      : {};
  rmSync(options.outdir, { recursive: true, force: true });
  const app = new App({
    outdir: options.outdir,
    context: options.stage === undefined ? context : { ...context, stage: options.stage },
  });
  const { stack } = createApp(app);
  const assembly = app.synth();
  mkdirSync(options.zipDir, { recursive: true });
  return functionAssets(stack, assembly.directory).map((asset) => {
    const zip = zipDirectory(asset.directory);
    const zipFile = path.join(options.zipDir, `${asset.name}.zip`);
    writeFileSync(zipFile, zip);
    return {
      name: asset.name,
      directory: asset.directory,
      zipFile,
      files: listFiles(asset.directory),
      unzippedBytes: directorySize(asset.directory),
      zippedBytes: zip.length,
    };
  });
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(2)} MB`;
}

/** The asset's own files, and the packages of its `node_modules` (not their hundred files). */
function describeFiles(files: readonly string[]): string {
  const own = files.filter((file) => !file.startsWith(`node_modules${path.sep}`));
  const packages = new Set(
    files
      .filter((file) => file.startsWith(`node_modules${path.sep}`))
      .map((file) => {
        const [, scope, name] = file.split(path.sep);
        return scope.startsWith('@') ? `${scope}/${name}` : scope;
      }),
  );
  return packages.size === 0
    ? own.join(', ')
    : `${own.join(', ')}, node_modules/{${[...packages].join(', ')}}`;
}

function main(): void {
  const stage = process.argv[2];
  const dist = path.join(REPO_ROOT, 'dist');
  const reports = buildBundles({
    outdir: path.join(dist, 'cdk.out'),
    zipDir: path.join(dist, 'functions'),
    stage,
  });
  for (const report of reports) {
    console.log(
      `${report.name.padEnd(12)} ${megabytes(report.zippedBytes).padStart(10)} zipped  ${megabytes(report.unzippedBytes).padStart(10)} unzipped  ${report.zipFile}`,
    );
    console.log(`             ${describeFiles(report.files)}`);
    if (report.unzippedBytes > LAMBDA_UNZIPPED_LIMIT_BYTES) {
      console.error(
        `The ${report.name} asset must be at most ${megabytes(LAMBDA_UNZIPPED_LIMIT_BYTES)} unzipped.`,
      );
      process.exitCode = 1;
    }
  }
  // Both functions that ship onnxruntime-web (the admin function validates models with it).
  for (const name of ['inference', 'admin']) {
    const report = reports.find((candidate) => candidate.name === name);
    if (report === undefined || report.zippedBytes > INFERENCE_ASSET_LIMIT_BYTES) {
      console.error(`The ${name} asset must be at most ${megabytes(INFERENCE_ASSET_LIMIT_BYTES)} zipped.`);
      process.exitCode = 1;
    }
  }
}

if (require.main === module) main();
