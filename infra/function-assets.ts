import { Stack } from 'aws-cdk-lib';
import { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { InfergateStack } from './infergate-stack';

/** Where one function's bundled asset landed in the cloud assembly. */
export interface FunctionAsset {
  /** Short name: `inference`, `admin`, `bootstrap`, `usage-replay`. */
  readonly name: string;
  /** Construct path of the function. */
  readonly constructPath: string;
  /** Directory of the staged asset (what Lambda unpacks into `/var/task`). */
  readonly directory: string;
}

/**
 * Limit of the inference asset, zipped (the project's budget; Lambda's own limit is 50 MB).
 * The admin asset, which ships onnxruntime-web too, is held to it as well.
 */
export const INFERENCE_ASSET_LIMIT_BYTES = 25 * 1024 * 1024;

/** Lambda's limit on a function's unzipped code (and layers), which every asset must keep. */
export const LAMBDA_UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024;

/**
 * The staged assets of the platform's functions after `app.synth()`, found through each
 * function's S3 key (`<asset hash>.zip`) and the stack's asset manifest.
 *
 * @example
 * const assembly = app.synth();
 * for (const asset of functionAssets(stack, assembly.directory)) console.log(asset.name, asset.directory);
 */
export function functionAssets(stack: InfergateStack, assemblyDirectory: string): FunctionAsset[] {
  const manifest: unknown = JSON.parse(
    readFileSync(path.join(assemblyDirectory, `${stack.artifactId}.assets.json`), 'utf8'),
  );
  const functions = {
    inference: stack.inference.function,
    admin: stack.admin.function,
    bootstrap: stack.adminKey.bootstrapFunction.function,
    'usage-replay': stack.usageReplay.replay.function,
  };
  return Object.entries(functions).map(([name, fn]) => {
    const cfn = fn.node.defaultChild;
    if (!(cfn instanceof CfnFunction)) throw new Error(`${fn.node.path} has no CfnFunction`);
    const code: unknown = Stack.of(fn).resolve(cfn.code);
    const key = field(code, 's3Key');
    if (typeof key !== 'string' || !key.endsWith('.zip')) throw new Error(`${fn.node.path}: no asset S3 key`);
    const hash = key.slice(0, -'.zip'.length);
    const source = field(field(field(manifest, 'files'), hash), 'source');
    const sourcePath = field(source, 'path');
    if (typeof sourcePath !== 'string') throw new Error(`asset ${hash} is not in the asset manifest`);
    return { name, constructPath: fn.node.path, directory: path.resolve(assemblyDirectory, sourcePath) };
  });
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && key in value ? Reflect.get(value, key) : undefined;
}
