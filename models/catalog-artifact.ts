import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readOnnxSchema } from '../functions/core/runtime/onnx-schema';
import { tritonModelConfig } from '../functions/core/triton/model-config';
import { type PackedTritonModel, packTritonModel } from '../functions/core/triton/model-repository';
import type { CatalogArtifact } from './catalog';

/**
 * The model data of a component-based catalog entry: its ONNX file packed as a Triton
 * model repository (`<tritonName>/config.pbtxt` generated from the graph,
 * `<tritonName>/1/model.onnx`) with the packaging registration uses, so the same file gives
 * the same `model.tar.gz`. The CDK app runs it at synth (`infra/scripts/pack-catalog-model.ts`,
 * through the asset's local bundling) and the local platform at start.
 */

/** The file's bytes, checked against the SHA-256 the catalog declares. */
export function readCatalogArtifact(artifact: CatalogArtifact): Uint8Array {
  const file = artifact.file();
  const bytes = readFileSync(file);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== artifact.sha256) {
    throw new Error(
      `${file} has SHA-256 ${sha256}, not the catalog's ${artifact.sha256}: update the catalog entry or restore the file`,
    );
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Packs a catalog artifact as a `model.tar.gz` (deterministic: equal files give equal bytes).
 *
 * @example
 * const { bytes, sha256 } = await packCatalogArtifact(entry.inferenceComponent.artifact);
 */
export async function packCatalogArtifact(artifact: CatalogArtifact): Promise<PackedTritonModel> {
  const onnx = readCatalogArtifact(artifact);
  return packTritonModel(tritonModelConfig(artifact.tritonName, readOnnxSchema(onnx)), onnx);
}
