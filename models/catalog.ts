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
 * components, and serverless endpoints run no GPUs, so a multi-model entry keeps at least
 * one instance. An entry that declares `inferenceComponent` is instead one model known at
 * deploy time (its ONNX file and SHA-256), packed at synth as a Triton model repository
 * and shipped as a CDK asset, served by one SageMaker inference component whose copies
 * (and the endpoint's instances) scale between `minCopies` (0: nothing runs when idle)
 * and `maxCopies`; `infra/constructs/gpu-component-endpoint.ts` builds it. See
 * docs/deploy.md for the cost of each kind, and `-c gpuEndpoints=false` to leave the
 * endpoints out.
 *
 * This module is plain data with no CDK import, so the CLI and docs can read it too.
 */
import { endpointModelsPrefix, type GpuEndpointRef } from '../functions/core/endpoints';
import { PRETRAINED, pretrainedFile } from './pretrained';

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

/** The one model of a component-based entry: an ONNX file known at deploy time. */
export interface CatalogArtifact {
  /** Absolute path of the ONNX file, resolved at synth (and by the local platform). */
  readonly file: () => string;
  /**
   * Lowercase hex SHA-256 of the file. Synthesis refuses a file that differs, and
   * registration accepts on this endpoint only a model with exactly these bytes.
   */
  readonly sha256: string;
  /** Name of the model inside the Triton model repository (`<name>/config.pbtxt`). */
  readonly tritonName: string;
}

/**
 * An entry served by one SageMaker inference component instead of a multi-model
 * endpoint: the way SageMaker scales a GPU endpoint to zero instances.
 */
export interface InferenceComponentEntry {
  readonly artifact: CatalogArtifact;
  /** Fewest copies of the model; 0 lets the endpoint scale to zero instances when idle. */
  readonly minCopies: number;
  readonly maxCopies: number;
  /** Target of `SageMakerInferenceComponentInvocationsPerCopy` (invocations per copy per minute). */
  readonly targetInvocationsPerCopy: number;
  /** Memory reserved for one copy on its instance. */
  readonly memoryMb: number;
  /**
   * GPUs one copy takes.
   * @default 1
   */
  readonly acceleratorDevices?: number;
}

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
  /**
   * Instances kept running. At least 1 for a multi-model endpoint; 0 for an entry with an
   * `inferenceComponent` whose `minCopies` is 0 (`ManagedInstanceScaling` `MinInstanceCount`).
   */
  readonly minInstances: number;
  readonly maxInstances: number;
  /**
   * Target of `SageMakerVariantInvocationsPerInstance` (invocations per instance per minute)
   * on a multi-model endpoint; a component-based entry scales on `targetInvocationsPerCopy`.
   */
  readonly targetInvocationsPerInstance: number;
  /**
   * Serve one model known at deploy time with an inference component (scales to zero when
   * `minCopies` is 0) instead of a multi-model endpoint that models are registered to.
   * @default none: a multi-model endpoint
   */
  readonly inferenceComponent?: InferenceComponentEntry;
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
  {
    name: 'ocr-rec-ondemand',
    description:
      'The PaddleOCR PP-OCRv4 text-line recognizer on an inference component that scales to zero: no instance runs while it is idle, and the first request after a quiet spell waits minutes for a GPU (503 endpoint_scaling). Register the same file on it as a model of your choice.',
    minInstances: 0,
    maxInstances: 1,
    targetInvocationsPerInstance: 600,
    inferenceComponent: {
      artifact: {
        file: () => pretrainedFile(PRETRAINED.textRecognition),
        sha256: '06b3e6af6c59a1ba5d53790ed8c2e4b2de389870b6cf5a97f349f3412cb269c0',
        tritonName: 'ocr-rec',
      },
      minCopies: 0,
      maxCopies: 1,
      targetInvocationsPerCopy: 600,
      // ml.g5.xlarge: 16 GiB of memory and one A10G; a copy takes the GPU and a quarter of the memory.
      memoryMb: 4096,
    },
  },
];

/** Name of the SageMaker endpoint of catalog entry `name` in `stage`. */
export function endpointNameFor(stage: string, name: string): string {
  return `infergate-${stage}-${name}`;
}

/**
 * Name of the inference component of a component-based entry in `stage` (at most 58
 * characters, within SageMaker's 63).
 */
export function inferenceComponentNameFor(stage: string, name: string): string {
  return `${endpointNameFor(stage, name)}-ic`;
}

/**
 * The endpoints of a catalog in `stage`, as the functions are told them
 * (`INFERGATE_SAGEMAKER_ENDPOINTS`).
 *
 * @example
 * formatGpuEndpoints(gpuEndpointRefsFor('prod', GPU_CATALOG));
 */
export function gpuEndpointRefsFor(stage: string, catalog: readonly GpuModelEntry[]): GpuEndpointRef[] {
  return catalog.map((entry) => ({
    name: entry.name,
    endpointName: endpointNameFor(stage, entry.name),
    ...(entry.inferenceComponent === undefined
      ? {}
      : {
          component: {
            name: inferenceComponentNameFor(stage, entry.name),
            sha256: entry.inferenceComponent.artifact.sha256,
          },
        }),
  }));
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
    const component = entry.inferenceComponent;
    const canScaleToZero = component !== undefined && component.minCopies === 0;
    if (!Number.isInteger(entry.minInstances) || entry.minInstances < (canScaleToZero ? 0 : 1)) {
      problems.push(
        `${at}: minInstances must be an integer of at least 1 (0 only with an inferenceComponent whose minCopies is 0), got ${entry.minInstances}`,
      );
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
    if (component !== undefined) problems.push(...componentProblems(at, component));
  });
  return problems;
}

const SHA256 = /^[0-9a-f]{64}$/;

function componentProblems(at: string, component: InferenceComponentEntry): string[] {
  const problems: string[] = [];
  const where = `${at}: inferenceComponent`;
  if (!SHA256.test(component.artifact.sha256)) {
    problems.push(
      `${where}.artifact.sha256 must be 64 lowercase hex digits, got ${component.artifact.sha256}`,
    );
  }
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(component.artifact.tritonName)) {
    problems.push(
      `${where}.artifact.tritonName must be 1-64 letters, digits, '_', '.' or '-', got ${component.artifact.tritonName}`,
    );
  }
  if (!Number.isInteger(component.minCopies) || component.minCopies < 0) {
    problems.push(`${where}.minCopies must be an integer of at least 0, got ${component.minCopies}`);
  }
  if (!Number.isInteger(component.maxCopies) || component.maxCopies < Math.max(1, component.minCopies)) {
    problems.push(
      `${where}.maxCopies must be an integer of at least 1 and not below minCopies, got ${component.maxCopies}`,
    );
  }
  if (!(component.targetInvocationsPerCopy > 0)) {
    problems.push(
      `${where}.targetInvocationsPerCopy must be positive, got ${component.targetInvocationsPerCopy}`,
    );
  }
  if (!Number.isInteger(component.memoryMb) || component.memoryMb < 128) {
    problems.push(`${where}.memoryMb must be an integer of at least 128, got ${component.memoryMb}`);
  }
  const devices = component.acceleratorDevices ?? 1;
  if (!Number.isInteger(devices) || devices < 1) {
    problems.push(`${where}.acceleratorDevices must be a positive integer, got ${devices}`);
  }
  return problems;
}
