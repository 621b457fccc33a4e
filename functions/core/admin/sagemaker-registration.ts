import type { ArtifactStore } from '../artifacts';
import { endpointModelKey, type GpuEndpointRef } from '../endpoints';
import { BadRequestError } from '../errors';
import type { ModelVersion } from '../registry/types';
import type { TensorSpec } from '../tensors/datatypes';
import { type TritonConfigOptions, tritonModelConfig } from '../triton/model-config';
import { packTritonModel } from '../triton/model-repository';

/**
 * Registration on the `sagemaker` tier. On a multi-model endpoint the model becomes a
 * Triton model repository (`<model>/config.pbtxt` generated from its graph,
 * `<model>/1/model.onnx`) packed as a `model.tar.gz`, stored content-addressed under its GPU
 * endpoint's prefix, where the endpoint finds it by name (`TargetModel`) on the first call.
 * On a component-based endpoint (the kind that scales to zero) the model was deployed with
 * the endpoint: the version records the inference component, and only a file with exactly
 * the deployed bytes may be registered to it.
 */

/**
 * The GPU endpoint a version goes to: the one named, or the deployment's only multi-model
 * endpoint (a component-based endpoint must be named).
 * Throws `BadRequestError`: `unsupported_tier` when the deployment has no GPU endpoint,
 * `unknown_endpoint` for a name it does not have, `endpoint_required` when it has several
 * and none is named.
 *
 * @example
 * chooseGpuEndpoint([{ name: 'ocr-rec', endpointName: 'infergate-prod-ocr-rec' }]).endpointName; // 'infergate-prod-ocr-rec'
 */
export function chooseGpuEndpoint(endpoints: readonly GpuEndpointRef[], requested?: string): GpuEndpointRef {
  const names = endpoints.map((endpoint) => `"${endpoint.name}"`).join(', ');
  if (endpoints.length === 0) {
    throw new BadRequestError(
      'unsupported_tier',
      'Tier "sagemaker" is not available in this deployment: it has no GPU endpoint; use "lambda"',
    );
  }
  if (requested === undefined) {
    // A component-based endpoint serves only the model deployed with it: it is never the default.
    const multiModel = endpoints.filter((endpoint) => endpoint.component === undefined);
    const [only] = multiModel;
    if (multiModel.length === 1 && only !== undefined) return only;
    throw new BadRequestError('endpoint_required', `Name the GPU endpoint with "endpoint": one of ${names}`);
  }
  const found = endpoints.find(
    (endpoint) => endpoint.name === requested || endpoint.endpointName === requested,
  );
  if (found === undefined) {
    throw new BadRequestError(
      'unknown_endpoint',
      `GPU endpoint "${requested}" is not part of this deployment; use one of ${names}`,
    );
  }
  return found;
}

/** Where a `sagemaker` version is served: its endpoint and either its archive or its component. */
export type GpuServingFields = Pick<ModelVersion, 'endpointName' | 'targetModel' | 'inferenceComponent'>;

/**
 * Places a version on its GPU endpoint: the archive stored for a multi-model endpoint
 * ({@link storeTritonArchive}), or, on a component-based endpoint, the component, when the
 * file is the one deployed with it. Throws `BadRequestError` `endpoint_model_mismatch` for
 * another file: the component serves the catalog's model only, and serving another would
 * mean a new deployment.
 *
 * @example
 * const fields = await placeOnGpuEndpoint({ ...archiveRequest, sha256: artifact.sha256 });
 */
export async function placeOnGpuEndpoint(
  request: TritonArchiveRequest & { readonly sha256: string },
): Promise<GpuServingFields> {
  const { component } = request.endpoint;
  if (component === undefined) return storeTritonArchive(request);
  if (request.sha256 !== component.sha256) {
    throw new BadRequestError(
      'endpoint_model_mismatch',
      `GPU endpoint "${request.endpoint.name}" serves only the model deployed with it (sha256 ${component.sha256}), not this file (sha256 ${request.sha256}); register the file on a multi-model endpoint, or change the endpoint's catalog entry and deploy`,
    );
  }
  return { endpointName: request.endpoint.endpointName, inferenceComponent: component.name };
}

/** What {@link storeTritonArchive} needs. */
export interface TritonArchiveRequest {
  readonly artifacts: ArtifactStore;
  readonly endpoint: GpuEndpointRef;
  readonly modelName: string;
  readonly onnx: Uint8Array;
  readonly schema: { readonly inputs: readonly TensorSpec[]; readonly outputs: readonly TensorSpec[] };
  /** Keys of objects written here are added, so that a failed registration removes them. */
  readonly written: string[];
  readonly triton?: TritonConfigOptions;
}

/**
 * Packs the model as a Triton repository and stores it under its endpoint's prefix (an
 * identical archive stored before is reused). Returns the version's endpoint fields.
 * Throws `BadRequestError` `unsupported_model` for a model Triton cannot serve (a scalar at its boundary).
 */
export async function storeTritonArchive(
  request: TritonArchiveRequest,
): Promise<Required<Pick<ModelVersion, 'endpointName' | 'targetModel'>>> {
  const config = tritonModelConfig(request.modelName, request.schema, request.triton);
  const archive = await packTritonModel(config, request.onnx);
  const key = endpointModelKey(request.endpoint.name, archive.sha256);
  if ((await request.artifacts.head(key)) === undefined) {
    await request.artifacts.put(key, archive.bytes);
    request.written.push(key);
  }
  return { endpointName: request.endpoint.endpointName, targetModel: key.slice(key.lastIndexOf('/') + 1) };
}
