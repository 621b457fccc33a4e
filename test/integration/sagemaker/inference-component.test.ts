/**
 * @jest-environment ./test/integration/runtime/native-realm-environment.js
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSageMakerRuntimeClient, SageMakerBackend } from '../../../functions/adapters/sagemaker';
import { S3ArtifactStore } from '../../../functions/adapters/s3';
import { placeOnGpuEndpoint } from '../../../functions/core/admin/sagemaker-registration';
import type { GpuEndpointRef } from '../../../functions/core/endpoints';
import { InfergateError } from '../../../functions/core/errors';
import type { ModelVersion } from '../../../functions/core/registry/types';
import { readOnnxSchema } from '../../../functions/core/runtime/onnx-schema';
import { decodeInferRequest } from '../../../functions/core/tensors/oip-codec';
import { deployCatalogComponents } from '../../../local/sagemaker/catalog-components';
import { startLocalSageMaker, type LocalSageMaker } from '../../../local/sagemaker/endpoint-server';
import type { GpuModelEntry } from '../../../models/catalog';
import { fixtureModel } from '../../support/fixtures';
import { LOCAL_S3, startS3rver, type LocalS3 } from '../../support/s3rver';

/**
 * The scale-to-zero path of the `sagemaker` tier: a component-based catalog entry deployed
 * on the local SageMaker (its ONNX file packed as at synth), registration that records the
 * component for exactly the deployed file, the data plane calling `InvokeEndpoint` with
 * `InferenceComponentName` through the real SDK, and a component scaled to zero answered
 * as 503 `endpoint_scaling` with a cold-start `Retry-After`, without retries.
 */
describe('an inference-component endpoint on the local SageMaker', () => {
  const onnxFile = fixtureModel('add-mul.onnx');
  const onnx = new Uint8Array(readFileSync(onnxFile));
  const sha256 = createHash('sha256').update(onnx).digest('hex');
  const entry: GpuModelEntry = {
    name: 'add-mul-ic',
    description: 'test entry',
    minInstances: 0,
    maxInstances: 1,
    targetInvocationsPerInstance: 600,
    inferenceComponent: {
      artifact: { file: () => onnxFile, sha256, tritonName: 'add-mul' },
      minCopies: 0,
      maxCopies: 1,
      targetInvocationsPerCopy: 60,
      memoryMb: 1024,
    },
  };
  const ENDPOINT: GpuEndpointRef = {
    name: entry.name,
    endpointName: 'infergate-test-add-mul-ic',
    component: { name: 'infergate-test-add-mul-ic-ic', sha256 },
  };
  let s3: LocalS3;
  let sagemaker: LocalSageMaker;
  let backend: SageMakerBackend;
  let version: ModelVersion;

  async function failure(promise: Promise<unknown>): Promise<InfergateError> {
    try {
      await promise;
    } catch (error) {
      if (error instanceof InfergateError) return error;
      throw error;
    }
    throw new Error('expected an InfergateError');
  }

  const body = {
    inputs: [
      { name: 'a', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] },
      { name: 'b', shape: [1, 3], datatype: 'FP32', data: [4, 5, 6] },
    ],
  };

  beforeAll(async () => {
    process.env.AWS_REGION = LOCAL_S3.region;
    process.env.AWS_ACCESS_KEY_ID = LOCAL_S3.credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = LOCAL_S3.credentials.secretAccessKey;
    s3 = await startS3rver();
    const artifacts = new S3ArtifactStore({ bucket: s3.bucket, client: s3.client });
    const componentArchives = await deployCatalogComponents([entry], 'test', artifacts);
    sagemaker = await startLocalSageMaker({ endpoints: [ENDPOINT], artifacts, componentArchives });
    backend = new SageMakerBackend({
      client: createSageMakerRuntimeClient({ endpoint: sagemaker.endpoint, timeoutMs: 5_000 }),
      endpoints: new Set([ENDPOINT.endpointName]),
      components: new Set([ENDPOINT.component?.name ?? '']),
      retryBaseMs: 5,
    });
    const schema = readOnnxSchema(onnx);
    const fields = await placeOnGpuEndpoint({
      artifacts,
      endpoint: ENDPOINT,
      modelName: 'add-mul',
      onnx,
      sha256,
      schema,
      written: [],
    });
    version = {
      modelName: 'add-mul',
      version: '1',
      tier: 'sagemaker',
      artifact: { sha256, size: onnx.byteLength, key: `artifacts/sha256/${sha256}.onnx` },
      inputs: schema.inputs,
      outputs: schema.outputs,
      createdAt: new Date(0).toISOString(),
      ...fields,
    };
  });

  afterEach(() => sagemaker.clear());

  afterAll(async () => {
    await sagemaker.close();
    await s3.stop();
  });

  it('records the component, not an archive, for the deployed file', () => {
    expect(version.endpointName).toBe(ENDPOINT.endpointName);
    expect(version.inferenceComponent).toBe('infergate-test-add-mul-ic-ic');
    expect(version.targetModel).toBeUndefined();
  });

  it('refuses to register another file on the component (400 endpoint_model_mismatch), writing nothing', async () => {
    const written: string[] = [];
    const other = await failure(
      placeOnGpuEndpoint({
        artifacts: new S3ArtifactStore({ bucket: s3.bucket, client: s3.client }),
        endpoint: ENDPOINT,
        modelName: 'other',
        onnx,
        sha256: '0'.repeat(64),
        schema: readOnnxSchema(onnx),
        written,
      }),
    );

    expect(other.status).toBe(400);
    expect(other.code).toBe('endpoint_model_mismatch');
    expect(other.message).toContain(sha256);
    expect(written).toEqual([]);
  });

  it('runs the model through InvokeEndpoint with InferenceComponentName', async () => {
    const result = await backend.run(version, decodeInferRequest(body, version.inputs, version.outputs));

    expect(Array.from(result.outputs.sum?.data as Float32Array)).toEqual([5, 7, 9]);
    expect(Array.from(result.outputs.product?.data as Float32Array)).toEqual([4, 10, 18]);
  });

  it('answers a component scaled to zero with 503 endpoint_scaling and a cold-start Retry-After, without retrying', async () => {
    sagemaker.inject({ kind: 'no-capacity' });
    const before = sagemaker.invocations;

    const error = await failure(
      backend.run(version, decodeInferRequest(body, version.inputs, version.outputs)),
    );

    expect(error.status).toBe(503);
    expect(error.code).toBe('endpoint_scaling');
    expect(error.headers).toEqual({ 'retry-after': '180' });
    expect(error.message).not.toContain(ENDPOINT.endpointName);
    expect(sagemaker.invocations - before).toBe(1);
  });

  it('serves again once a copy is back', async () => {
    sagemaker.inject({ kind: 'no-capacity' }, 1);
    await failure(backend.run(version, decodeInferRequest(body, version.inputs, version.outputs)));

    const result = await backend.run(version, decodeInferRequest(body, version.inputs, version.outputs));

    expect(Array.from(result.outputs.sum?.data as Float32Array)).toEqual([5, 7, 9]);
  });

  it('does not serve a version naming a component outside the deployment (503 endpoint_unavailable)', async () => {
    const error = await failure(
      backend.run(
        { ...version, inferenceComponent: 'infergate-test-elsewhere' },
        decodeInferRequest(body, version.inputs, version.outputs),
      ),
    );

    expect(error.status).toBe(503);
    expect(error.code).toBe('endpoint_unavailable');
  });

  it('takes invocations of a component endpoint only with its InferenceComponentName header, as SageMaker does', async () => {
    const invoke = (headers: Record<string, string>) =>
      fetch(`${sagemaker.endpoint}/endpoints/${ENDPOINT.endpointName}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: '{}',
      });

    const without = await invoke({});
    const archive = await invoke({ 'x-amzn-sagemaker-target-model': 'a.tar.gz' });
    const unknown = await invoke({ 'x-amzn-sagemaker-inference-component': 'nope' });

    for (const response of [without, archive, unknown]) {
      expect(response.status).toBe(400);
      expect(response.headers.get('x-amzn-errortype')).toBe('ValidationError');
    }
    expect(await unknown.text()).toContain('not found');
  });
});
