import type { ArtifactStore } from '../../functions/core/artifacts';
import { endpointModelKey } from '../../functions/core/endpoints';
import { endpointNameFor, type GpuModelEntry } from '../../models/catalog';
import { packCatalogArtifact } from '../../models/catalog-artifact';

/**
 * The local stand-in for deploying the catalog's component-based entries: each entry's
 * ONNX file packed as the CDK app packs it at synth, stored under the entry's prefix of the
 * local artifact store. Returns the archives by SageMaker endpoint name, for
 * `startLocalSageMaker({ componentArchives })`.
 *
 * @example
 * const componentArchives = await deployCatalogComponents(GPU_CATALOG, 'local', artifacts);
 */
export async function deployCatalogComponents(
  catalog: readonly GpuModelEntry[],
  stage: string,
  artifacts: ArtifactStore,
): Promise<Record<string, string>> {
  const archives: Record<string, string> = {};
  for (const entry of catalog) {
    if (entry.inferenceComponent === undefined) continue;
    const packed = await packCatalogArtifact(entry.inferenceComponent.artifact);
    const key = endpointModelKey(entry.name, packed.sha256);
    if ((await artifacts.head(key)) === undefined) await artifacts.put(key, packed.bytes);
    archives[endpointNameFor(stage, entry.name)] = key.slice(key.lastIndexOf('/') + 1);
  }
  return archives;
}
