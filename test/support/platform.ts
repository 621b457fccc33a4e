import { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../../functions/config';
import { wasmTierRuntimes } from '../../functions/adapters/onnx/tier-runtimes';
import { MAX_ARTIFACT_BYTES, OPERATOR_TENANT_ID } from '../../functions/constants';
import {
  createDocumentClient,
  DynamoRegistryStore,
  DynamoUsageStore,
} from '../../functions/adapters/dynamodb';
import { S3ArtifactStore } from '../../functions/adapters/s3';
import { createAdminApp } from '../../functions/admin/app';
import { createAdminDeps } from '../../functions/admin/deps';
import { AdminService } from '../../functions/core/admin/admin-service';
import { ModelValidator } from '../../functions/core/validation';
import { createInferenceApp } from '../../functions/inference/app';
import { createInferenceDeps } from '../../functions/inference/deps';
import { AfterResponse } from '../../functions/core/after-response';
import { toLambdaHandler } from '../../functions/http/lambda-adapter';
import { ROUTES } from '../../functions/routes';
import { startApiGatewayServer } from '../../local/apigw-server';
import { startLocalSageMaker, type LocalSageMaker } from '../../local/sagemaker/endpoint-server';
import { endpointNameFor, GPU_CATALOG } from '../../models/catalog';
import { InfergateClient } from '../../client';
import { LOCAL_AWS, startDynalite, type LocalDynamo } from './dynalite';
import { LOCAL_S3, startS3rver, type LocalS3 } from './s3rver';

/** A running platform for HTTP tests: the real handlers behind the local API Gateway server. */
export interface TestPlatform {
  readonly url: string;
  readonly adminKey: string;
  readonly admin: InfergateClient;
  readonly dynamo: LocalDynamo;
  /** The artifact store's server (its bucket holds artifacts and uploads). */
  readonly s3: LocalS3;
  /** The configuration the functions were built with (for another function's deps, e.g. the usage replay). */
  readonly config: Config;
  readonly registry: DynamoRegistryStore;
  /** The local SageMaker serving the GPU catalog's endpoints (the `sagemaker` tier), with its fault knobs. */
  readonly sagemaker: LocalSageMaker;
  /**
   * The inference function's work after its responses, which the server drains after each
   * one (`startTestPlatform({ meterAfterResponse: true })`); undefined when usage is written
   * before the response (the default, so that usage read right after a response is there).
   */
  readonly afterResponse?: AfterResponse;
  client(apiKey: string): InfergateClient;
  stop(): Promise<void>;
}

/**
 * Starts dynalite, s3rver and both functions' handlers (built with their production
 * wiring) behind the local API Gateway server on a free port, and creates an admin key.
 * Usage is written before each response unless `meterAfterResponse: true`, with which the
 * server drains it after each response, as `npm start` does.
 */
export async function startTestPlatform(overrides: Partial<Config> = {}): Promise<TestPlatform> {
  process.env.AWS_REGION = LOCAL_AWS.region;
  // s3rver knows one access key; dynalite accepts any.
  process.env.AWS_ACCESS_KEY_ID = LOCAL_S3.credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = LOCAL_S3.credentials.secretAccessKey;
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = process.env.POWERTOOLS_LOG_LEVEL ?? 'CRITICAL';

  const dynamo = await startDynalite();
  const s3 = await startS3rver();
  // The GPU tier: the catalog's endpoints on the local SageMaker (onnxruntime-node, loaded on first use).
  const sagemaker = await startLocalSageMaker({
    // Multi-model entries only: the component-based (scale-to-zero) path has its own tests
    // (test/integration/sagemaker/inference-component.test.ts), packing a small model.
    endpoints: GPU_CATALOG.filter((entry) => entry.inferenceComponent === undefined).map((entry) => ({
      name: entry.name,
      endpointName: endpointNameFor('test', entry.name),
    })),
    artifacts: new S3ArtifactStore({ bucket: s3.bucket, client: s3.client }),
  });
  const config: Config = {
    stage: 'test',
    tableName: dynamo.tableName,
    artifactBucket: s3.bucket,
    dynamodbEndpoint: dynamo.endpoint,
    s3Endpoint: s3.endpoint,
    keyCacheTtlSeconds: 0,
    sessionCacheBytes: 256 * 1024 * 1024,
    ortNumThreads: 1,
    uploadUrlTtlSeconds: 900,
    sagemakerEndpoint: sagemaker.endpoint,
    sagemakerEndpoints: sagemaker.endpoints,
    meterAfterResponse: false,
    ...overrides,
  };
  const afterResponse = config.meterAfterResponse === true ? new AfterResponse() : undefined;
  afterResponse?.enable();
  const inference = toLambdaHandler(createInferenceApp(await createInferenceDeps(config, { afterResponse })));
  const adminHandler = toLambdaHandler(createAdminApp(createAdminDeps(config)));
  const server = await startApiGatewayServer({
    port: 0,
    routes: ROUTES,
    handlers: { inference, admin: adminHandler },
    defaultFunction: 'inference',
    functions: {
      inference: {
        afterInvocation: async (context) => afterResponse?.drain(context.getRemainingTimeInMillis()),
      },
    },
  });

  const documentClient = createDocumentClient({ client: dynamo.client });
  const registry = new DynamoRegistryStore({ tableName: dynamo.tableName, client: documentClient });
  const bootstrap = new AdminService({
    store: registry,
    usage: new DynamoUsageStore({ tableName: dynamo.tableName, client: documentClient }),
    artifacts: new S3ArtifactStore({
      bucket: s3.bucket,
      client: new S3Client({ ...LOCAL_S3, endpoint: s3.endpoint, forcePathStyle: true }),
    }),
    // Only creates the admin key: the runtime is never started.
    validator: new ModelValidator({ runtimes: wasmTierRuntimes(), maxModelBytes: MAX_ARTIFACT_BYTES }),
    uploadUrlTtlSeconds: 900,
  });
  const created = await bootstrap.createKey({ tenantId: OPERATOR_TENANT_ID, scopes: ['admin'] });
  const client = (apiKey: string) => new InfergateClient({ url: server.url, apiKey });

  return {
    url: server.url,
    adminKey: created.key,
    admin: client(created.key),
    dynamo,
    s3,
    config,
    registry,
    sagemaker,
    afterResponse,
    client,
    async stop() {
      await server.close();
      await sagemaker.close();
      await Promise.all([dynamo.stop(), s3.stop()]);
    },
  };
}
