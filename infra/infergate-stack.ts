import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { DEFAULT_KEY_CACHE_TTL_SECONDS, ENV, SERVICE } from '../functions/constants';
import { ROUTES } from '../functions/routes';
import { formatGpuEndpoints } from '../functions/core/endpoints';
import {
  catalogProblems,
  endpointNameFor,
  GPU_CATALOG,
  gpuEndpointRefsFor,
  type GpuModelEntry,
  inferenceComponentNameFor,
} from '../models/catalog';
import { DEMO_MODEL } from '../models/pretrained';
import { LAMBDA_TASK_ROOT, ortRuntimeFiles } from './bundling';
import type { InfergateConfig } from './config';
import {
  AdminKey,
  ArtifactBucket,
  GpuEndpoint,
  Monitoring,
  PlatformFunction,
  PlatformHttpApi,
  RegistryTable,
  UsageReplay,
} from './constructs';
import { Problems } from './validation';

/** Models of the Lambda tier that get their own dashboard widgets: the demo model operators register first. */
export const LAMBDA_SHOWCASE_MODELS: readonly string[] = [DEMO_MODEL.name];

/** Lifetime of presigned upload URLs. */
const UPLOAD_URL_TTL_SECONDS = 900;

export interface InfergateStackProps extends StackProps {
  readonly config: InfergateConfig;
  /**
   * GPU endpoints (SageMaker multi-model or inference-component endpoints), deployed when `config.gpuEndpoints` is true.
   * @default GPU_CATALOG from models/catalog.ts
   */
  readonly catalog?: readonly GpuModelEntry[];
  /**
   * Models with their own dashboard widgets.
   * @default LAMBDA_SHOWCASE_MODELS and the catalog's models
   */
  readonly showcaseModels?: readonly string[];
}

/**
 * Infergate in one stack: HTTP API, the inference and admin functions, the registry table,
 * the artifact bucket, optional SageMaker GPU endpoints, the bootstrap admin key, the
 * scheduled usage replay, and monitoring. Environment-agnostic: synthesis needs no credentials and makes no lookups.
 */
export class InfergateStack extends Stack {
  public readonly table: RegistryTable;
  public readonly artifacts: ArtifactBucket;
  public readonly inference: PlatformFunction;
  public readonly admin: PlatformFunction;
  public readonly api: PlatformHttpApi;
  public readonly adminKey: AdminKey;
  public readonly gpuEndpoints: readonly GpuEndpoint[];
  public readonly usageReplay: UsageReplay;
  public readonly monitoring: Monitoring;

  public constructor(scope: Construct, id: string, props: InfergateStackProps) {
    super(scope, id, props);
    const { config } = props;
    const catalog = props.catalog ?? GPU_CATALOG;
    const problems = new Problems(`InfergateStack ${id} props`);
    for (const problem of catalogProblems(catalog)) problems.add(problem);
    problems.throwIfAny();

    const prod = config.stage === 'prod';
    const dataRemoval = prod ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    Tags.of(this).add('app', 'infergate');
    Tags.of(this).add('stage', config.stage);

    const key = new Key(this, 'PlatformKey', {
      description: `Infergate ${config.stage}: encrypts the admin key secret and the alarm topic`,
      enableKeyRotation: true,
      removalPolicy: dataRemoval,
      pendingWindow: Duration.days(7),
    });

    this.table = new RegistryTable(this, 'Registry', { protectData: prod });
    this.artifacts = new ArtifactBucket(this, 'Artifacts');
    const table = this.table.table;

    // The GPU tier's endpoints, by catalog name and SageMaker name: the admin function
    // registers models to them, the inference function calls them.
    const gpuEndpointRefs = config.gpuEndpoints ? gpuEndpointRefsFor(config.stage, catalog) : [];
    const common = {
      [ENV.STAGE]: config.stage,
      [ENV.TABLE_NAME]: table.tableName,
      [ENV.ARTIFACT_BUCKET]: this.artifacts.bucket.bucketName,
      [ENV.KEY_CACHE_TTL_SECONDS]: String(DEFAULT_KEY_CACHE_TTL_SECONDS),
      ...(gpuEndpointRefs.length === 0
        ? {}
        : { [ENV.SAGEMAKER_ENDPOINTS]: formatGpuEndpoints(gpuEndpointRefs) }),
    };
    this.inference = new PlatformFunction(this, 'Inference', {
      entry: 'functions/inference/lambda.ts',
      description: 'Infergate data plane: Open Inference Protocol and tenant routes',
      serviceName: SERVICE.inference,
      memorySize: config.inferenceMemoryMb,
      extraFiles: ortRuntimeFiles(),
      // Image pipelines decode with sharp (libvips, native): shipped as a package, not inlined.
      nativePackages: ['sharp'],
      environment: {
        ...common,
        [ENV.SESSION_CACHE_BYTES]: String(sessionCacheBytes(config.inferenceMemoryMb)),
        [ENV.ORT_WASM_DIR]: LAMBDA_TASK_ROOT,
        [ENV.ORT_NUM_THREADS]: '1',
        [ENV.METER_AFTER_RESPONSE]: String(config.meterAfterResponse),
      },
      logRemovalPolicy: dataRemoval,
    });
    this.admin = new PlatformFunction(this, 'Admin', {
      entry: 'functions/admin/handler.ts',
      description: 'Infergate control plane: tenants, keys, uploads, models, usage',
      serviceName: SERVICE.admin,
      // Registration loads and runs each model (and its baseline) on onnxruntime-web, as the
      // inference function does: the same memory, and the same WASM files next to the bundle.
      memorySize: config.inferenceMemoryMb,
      extraFiles: ortRuntimeFiles(),
      environment: {
        ...common,
        [ENV.UPLOAD_URL_TTL_SECONDS]: String(UPLOAD_URL_TTL_SECONDS),
        [ENV.ORT_WASM_DIR]: LAMBDA_TASK_ROOT,
        [ENV.ORT_NUM_THREADS]: '1',
      },
      logRemovalPolicy: dataRemoval,
    });
    this.table.grantReadDataAndMeter(this.inference.function);
    this.table.grantReadWriteData(this.admin.function);
    this.artifacts.grantReadArtifacts(this.inference.function);
    this.artifacts.grantSpillUsage(this.inference.function);
    this.artifacts.grantManageArtifacts(this.admin.function);

    this.gpuEndpoints = config.gpuEndpoints
      ? catalog.map(
          (entry) =>
            new GpuEndpoint(this, `Gpu${pascalCase(entry.name)}`, {
              entry,
              endpointName: endpointNameFor(config.stage, entry.name),
              ...(entry.inferenceComponent === undefined
                ? {}
                : { inferenceComponentName: inferenceComponentNameFor(config.stage, entry.name) }),
              artifacts: this.artifacts,
              defaultInstanceType: config.gpuInstanceType,
            }),
        )
      : [];
    for (const endpoint of this.gpuEndpoints) endpoint.grantInvoke(this.inference.function);
    // Registration writes archives for multi-model endpoints only: a component serves its deployed model.
    const multiModelEndpoints = this.gpuEndpoints.filter(
      (endpoint) => endpoint.inferenceComponentName === undefined,
    );
    if (multiModelEndpoints.length > 0) {
      this.artifacts.grantManageEndpointModels(
        this.admin.function,
        multiModelEndpoints.map((endpoint) => endpoint.modelsPrefix),
      );
    }

    this.api = new PlatformHttpApi(this, 'Http', {
      routes: ROUTES,
      functions: { inference: this.inference.function, admin: this.admin.function },
      defaultFunction: 'inference',
      accessLogRemovalPolicy: dataRemoval,
    });

    this.adminKey = new AdminKey(this, 'AdminKey', {
      table: this.table,
      encryptionKey: key,
      removalPolicy: dataRemoval,
    });

    // Usage the data plane could not write goes to spill/usage/; this applies it, exactly once.
    this.usageReplay = new UsageReplay(this, 'UsageReplay', {
      table: this.table,
      artifacts: this.artifacts,
      environment: {
        [ENV.STAGE]: config.stage,
        [ENV.TABLE_NAME]: table.tableName,
        [ENV.ARTIFACT_BUCKET]: this.artifacts.bucket.bucketName,
      },
      logRemovalPolicy: dataRemoval,
    });

    this.monitoring = new Monitoring(this, 'Monitoring', {
      api: this.api,
      functions: {
        inference: this.inference.function,
        admin: this.admin.function,
        'usage replay': this.usageReplay.replay.function,
      },
      usageReplay: this.usageReplay.replay.function,
      functionLogGroups: [this.inference.logGroup, this.admin.logGroup],
      table,
      endpoints: this.gpuEndpoints,
      showcaseModels: props.showcaseModels ?? [
        ...LAMBDA_SHOWCASE_MODELS,
        ...catalog.map((entry) => entry.name),
      ],
      encryptionKey: key,
      alarmEmail: config.alarmEmail,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the Infergate API' });
    new CfnOutput(this, 'TableName', { value: table.tableName, description: 'Registry and usage table' });
    new CfnOutput(this, 'BucketName', {
      value: this.artifacts.bucket.bucketName,
      description: 'Model artifact bucket',
    });
    new CfnOutput(this, 'AdminKeySecretArn', {
      value: this.adminKey.secret.secretArn,
      description: 'Secret holding the bootstrap admin key (read it with your own credentials)',
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn });
    for (const endpoint of this.gpuEndpoints) {
      new CfnOutput(this, `${endpoint.node.id}EndpointName`, {
        value: endpoint.endpointName,
        description:
          endpoint.inferenceComponentName === undefined
            ? 'GPU endpoint (SageMaker, Triton multi-model); register models to it with --tier sagemaker --endpoint <catalog name>'
            : `GPU endpoint (SageMaker, Triton inference component ${endpoint.inferenceComponentName}, scales to zero); register its catalog model with --tier sagemaker --endpoint <catalog name>`,
      });
    }
  }
}

/** A quarter of the function's memory for loaded model sessions (the rest: WASM heap, requests). */
export function sessionCacheBytes(memoryMb: number): number {
  return Math.floor((memoryMb * 1024 * 1024) / 4);
}

function pascalCase(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part.length > 0)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
