/**
 * `npm run build`: bundles every function exactly as `cdk deploy` would (it synthesizes the
 * app with bundling on, into dist/cdk.out), writes each asset as dist/functions/<name>.zip
 * and prints its size. Fails when the inference asset exceeds its zipped budget.
 *
 *   npm run build            # cdk.json's context
 *   npm run build -- prod    # another stage
 */
import { App } from 'aws-cdk-lib';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createApp } from '../app';
import { REPO_ROOT } from '../bundling';
import { functionAssets, INFERENCE_ASSET_LIMIT_BYTES } from '../function-assets';
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
      `${report.name.padEnd(10)} ${megabytes(report.zippedBytes).padStart(10)} zipped  ${megabytes(report.unzippedBytes).padStart(10)} unzipped  ${report.zipFile}`,
    );
    console.log(`           ${report.files.join(', ')}`);
  }
  const inference = reports.find((report) => report.name === 'inference');
  if (inference === undefined || inference.zippedBytes > INFERENCE_ASSET_LIMIT_BYTES) {
    console.error(`The inference asset must be at most ${megabytes(INFERENCE_ASSET_LIMIT_BYTES)} zipped.`);
    process.exitCode = 1;
  }
}

if (require.main === module) main();
