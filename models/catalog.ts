/**
 * The GPU tier, declared as data: every entry becomes a SageMaker real-time endpoint
 * running NVIDIA Triton Inference Server (`infra/constructs/gpu-endpoint.ts`), unless the
 * app is deployed with `-c gpuEndpoints=false`. The data plane reaches an endpoint when a
 * model version is registered with tier `sagemaker` and the endpoint's name.
 *
 * Each artifact is a Triton model repository packed as `model.tar.gz`:
 * `<name>/config.pbtxt` and `<name>/1/model.onnx` (see docs/deploy.md). Upload it to the
 * artifact bucket under the entry's `artifact` key before deploying the endpoint.
 *
 * This module is plain data with no CDK import, so the CLI and docs can read it too.
 */

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

export interface GpuModelEntry {
  /**
   * Model name: the Triton model name inside the repository, the registry name the data
   * plane serves it under, and part of the endpoint name (`infergate-<stage>-<name>`).
   */
  readonly name: string;
  readonly description: string;
  /** S3 key of the `model.tar.gz` (Triton model repository) in the artifact bucket. */
  readonly artifact: string;
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

/** The GPU models deployed by default. */
export const GPU_CATALOG: readonly GpuModelEntry[] = [
  {
    name: 'ocr-rec',
    description:
      'PaddleOCR PP-OCRv4 text-line recognizer (CRNN/SVTR, ONNX): input x float32 [N,3,48,W], output CTC probabilities [N,W/8,6625].',
    artifact: 'sagemaker/ocr-rec/model.tar.gz',
    minInstances: 1,
    maxInstances: 2,
    targetInvocationsPerInstance: 600,
  },
];

/** Name of the SageMaker endpoint serving `modelName` in `stage`. */
export function endpointNameFor(stage: string, modelName: string): string {
  return `infergate-${stage}-${modelName}`;
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
    if (!entry.artifact.startsWith('sagemaker/') || !entry.artifact.endsWith('.tar.gz')) {
      problems.push(
        `${at}: artifact must be an S3 key under sagemaker/ ending in .tar.gz, got ${entry.artifact}`,
      );
    }
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
