/**
 * The GPU tier, declared as data: every entry becomes a SageMaker real-time multi-model
 * endpoint running NVIDIA Triton Inference Server (ONNX Runtime backend), built by
 * `infra/constructs/gpu-endpoint.ts`, unless the app is deployed with `-c gpuEndpoints=false`.
 *
 * An entry is an endpoint, not a model: its models are registered to it at run time
 * (`infergate model register <name> <file.onnx> --tier sagemaker [--endpoint <entry>]`).
 * Registration packs each model as a Triton model repository (`<model>/config.pbtxt`,
 * `<model>/1/model.onnx`) in a `model.tar.gz` stored under the entry's prefix of the
 * artifact bucket (`endpointModelsPrefix()`: `sagemaker/<name>/`), which is the endpoint's
 * `ModelDataUrl`; the data plane calls `InvokeEndpoint` with the archive as `TargetModel`,
 * and SageMaker loads it on the first call. An empty prefix is a valid endpoint, so the
 * stack deploys before any model is registered.
 *
 * Scale to zero: SageMaker scales real-time endpoints to zero only through inference
 * components, and serverless endpoints run neither GPUs nor multi-model endpoints, so a
 * GPU multi-model endpoint keeps at least one instance (see docs/deploy.md for the cost,
 * and `-c gpuEndpoints=false` to leave the endpoints out).
 *
 * This module is plain data with no CDK import, so the CLI and docs can read it too.
 */
import { endpointModelsPrefix } from '../functions/core/endpoints';

/** A container image published by AWS in one ECR registry per region. */
export interface RegionalImage {
  readonly repository: string;
  readonly tag: string;
  /** AWS account id of the registry that serves the image, by region. */
  readonly registries: Readonly<Record<string, string>>;
}

/**
 * SageMaker's Triton Inference Server image 24.09 (Triton 2.50, CUDA 12.6). Registries as
 * published in the SageMaker Python SDK (`image_uri_config/sagemaker-tritonserver.json`);
 * the stack maps the deployment region to its registry with a CloudFormation mapping, so
 * synthesis needs no lookup. Deploying to a region missing here fails at deploy time.
 */
export const TRITON_IMAGE: RegionalImage = {
  repository: 'sagemaker-tritonserver',
  tag: '24.09-py3',
  registries: {
    'af-south-1': '626614931356',
    'ap-east-1': '871362719292',
    'ap-northeast-1': '763104351884',
    'ap-northeast-2': '763104351884',
    'ap-northeast-3': '364406365360',
    'ap-south-1': '763104351884',
    'ap-southeast-1': '763104351884',
    'ap-southeast-2': '763104351884',
    'ap-southeast-3': '907027046896',
    'ca-central-1': '763104351884',
    'ca-west-1': '204538143572',
    'cn-north-1': '727897471807',
    'cn-northwest-1': '727897471807',
    'eu-central-1': '763104351884',
    'eu-north-1': '763104351884',
    'eu-south-1': '692866216735',
    'eu-west-1': '763104351884',
    'eu-west-2': '763104351884',
    'eu-west-3': '763104351884',
    'il-central-1': '780543022126',
    'me-south-1': '217643126080',
    'sa-east-1': '763104351884',
    'us-east-1': '763104351884',
    'us-east-2': '763104351884',
    'us-west-1': '763104351884',
    'us-west-2': '763104351884',
  },
};

/** One GPU endpoint of the catalog. */
export interface GpuModelEntry {
  /**
   * Catalog name: what `--endpoint` takes, the S3 prefix of its models
   * (`sagemaker/<name>/`) and part of the endpoint name (`infergate-<stage>-<name>`).
   */
  readonly name: string;
  /** What the endpoint is sized for. */
  readonly description: string;
  /**
   * SageMaker instance type.
   * @default the `gpuInstanceType` context value (ml.g5.xlarge)
   */
  readonly instanceType?: string;
  /** Instances kept running (real-time endpoints without inference components cannot go below 1). */
  readonly minInstances: number;
  readonly maxInstances: number;
  /** Target of `SageMakerVariantInvocationsPerInstance` (invocations per instance per minute). */
  readonly targetInvocationsPerInstance: number;
  /**
   * Serving image.
   * @default TRITON_IMAGE
   */
  readonly image?: RegionalImage;
}

/** The GPU endpoints deployed by default. */
export const GPU_CATALOG: readonly GpuModelEntry[] = [
  {
    name: 'ocr-rec',
    description:
      'Sized for the PaddleOCR PP-OCRv4 text-line recognizer (CRNN/SVTR, ONNX: input x float32 [N,3,48,W], output CTC probabilities [N,W/8,6625]), registered on it as model "ocr-rec"; other models may share it.',
    minInstances: 1,
    maxInstances: 2,
    targetInvocationsPerInstance: 600,
  },
];

/** Name of the SageMaker endpoint of catalog entry `name` in `stage`. */
export function endpointNameFor(stage: string, name: string): string {
  return `infergate-${stage}-${name}`;
}

/** S3 prefix of an entry's models: the `ModelDataUrl` of its multi-model endpoint. */
export function modelsPrefixOf(entry: Pick<GpuModelEntry, 'name'>): string {
  return endpointModelsPrefix(entry.name);
}

const NAME = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const INSTANCE_TYPE = /^ml\.[a-z0-9]+\.[a-z0-9]+$/;
/** SageMaker endpoint names are at most 63 characters; `infergate-prod-` takes 15. */
const MAX_NAME_LENGTH = 40;

/**
 * Every problem of a catalog (an empty list when it is valid).
 *
 * @example
 * const problems = catalogProblems(GPU_CATALOG);
 */
export function catalogProblems(entries: readonly GpuModelEntry[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  entries.forEach((entry, index) => {
    const at = `catalog[${index}] (${entry.name})`;
    if (!NAME.test(entry.name) || entry.name.length > MAX_NAME_LENGTH) {
      problems.push(
        `${at}: name must be lowercase letters, digits and inner hyphens, at most ${MAX_NAME_LENGTH} long`,
      );
    }
    if (seen.has(entry.name)) problems.push(`${at}: name repeats an earlier entry`);
    seen.add(entry.name);
    if (entry.instanceType !== undefined && !INSTANCE_TYPE.test(entry.instanceType)) {
      problems.push(`${at}: instanceType must look like ml.g5.xlarge, got ${entry.instanceType}`);
    }
    if (!Number.isInteger(entry.minInstances) || entry.minInstances < 1) {
      problems.push(`${at}: minInstances must be an integer of at least 1, got ${entry.minInstances}`);
    }
    if (!Number.isInteger(entry.maxInstances) || entry.maxInstances < entry.minInstances) {
      problems.push(
        `${at}: maxInstances must be an integer not below minInstances, got ${entry.maxInstances}`,
      );
    }
    if (!(entry.targetInvocationsPerInstance > 0)) {
      problems.push(
        `${at}: targetInvocationsPerInstance must be positive, got ${entry.targetInvocationsPerInstance}`,
      );
    }
    const image = entry.image ?? TRITON_IMAGE;
    if (Object.keys(image.registries).length === 0) problems.push(`${at}: image has no registry`);
  });
  return problems;
}
