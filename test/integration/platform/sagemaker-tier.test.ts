/**
 * @jest-environment ./test/integration/runtime/native-realm-environment.js
 */
import {
  InfergateApiError,
  type InferInputTensor,
  type InferValue,
  type InfergateClient,
  type ModelVersion,
} from '../../../client';
import { S3ArtifactStore } from '../../../functions/adapters/s3';
import { endpointModelsPrefix } from '../../../functions/core/endpoints';
import { unpackTritonModel } from '../../../functions/core/triton/model-repository';
import { endpointNameFor, GPU_CATALOG } from '../../../models/catalog';
import { fixtureModel } from '../../support/fixtures';
import { startTestPlatform, type TestPlatform } from '../../support/platform';

/**
 * The `sagemaker` tier over HTTP: a model registered with `tier: 'sagemaker'` is packed as
 * a Triton repository under its GPU endpoint's prefix and served through InvokeEndpoint
 * (the real SDK client) by the local SageMaker, metered with the endpoint's time.
 */
describe('the sagemaker tier over HTTP', () => {
  const [catalogEntry] = GPU_CATALOG;
  const gpuName = catalogEntry?.name ?? 'ocr-rec';
  let platform: TestPlatform;
  let tenant: InfergateClient;
  let tenantId: string;
  let gpu: ModelVersion;

  const body = {
    inputs: [
      { name: 'a', shape: [2, 3], datatype: 'FP32', data: [1, 2, 3, 4, 5, 6] },
      { name: 'b', shape: [2, 3], datatype: 'FP32', data: [0.5, 0.5, 0.5, 2, 2, 2] },
    ],
  } as const;

  async function errorOf(call: Promise<unknown>): Promise<InfergateApiError> {
    try {
      await call;
    } catch (error) {
      if (error instanceof InfergateApiError) return error;
      throw error;
    }
    throw new Error('expected the call to fail');
  }

  beforeAll(async () => {
    platform = await startTestPlatform({ sagemakerTimeoutMs: 1_000 });
    // The free plan has no GPU tier.
    tenantId = (await platform.admin.createTenant({ name: 'gpu-customer', plan: 'pro' })).tenantId;
    tenant = platform.client((await platform.admin.createKey({ tenantId })).key);
    gpu = await platform.admin.registerModel('add-mul-gpu', fixtureModel('add-mul.onnx'), {
      visibility: 'public',
      tier: 'sagemaker',
    });
    await platform.admin.setAlias('add-mul-gpu', 'prod', gpu.version);
    const cpu = await platform.admin.registerModel('add-mul-cpu', fixtureModel('add-mul.onnx'), {
      visibility: 'public',
    });
    await platform.admin.setAlias('add-mul-cpu', 'prod', cpu.version);
  });

  afterEach(() => platform.sagemaker.clear());

  afterAll(async () => {
    await platform.stop();
  });

  it('registers the version on the GPU endpoint with its Triton repository archive in the bucket', async () => {
    expect(gpu).toMatchObject({
      tier: 'sagemaker',
      endpointName: endpointNameFor('test', gpuName),
      targetModel: expect.stringMatching(/^[0-9a-f]{64}\.tar\.gz$/),
    });
    const artifacts = new S3ArtifactStore({ bucket: platform.s3.bucket, client: platform.s3.client });
    const archive = await unpackTritonModel(
      await artifacts.get(`${endpointModelsPrefix(gpuName)}${gpu.targetModel ?? ''}`),
    );
    expect(archive.name).toBe('add-mul-gpu');
    expect(archive.maxBatchSize).toBe(16);
    expect(archive.config).toContain('kind: KIND_GPU');
  });

  it('infers through the endpoint with the same answer as the lambda tier', async () => {
    const [onGpu, onCpu] = await Promise.all([
      tenant.infer('add-mul-gpu', body),
      tenant.infer('add-mul-cpu', body),
    ]);

    expect(onGpu.outputs).toEqual(onCpu.outputs);
    expect(onGpu).toMatchObject({ model_name: 'add-mul-gpu', model_version: gpu.version });
    expect(onGpu.outputs.find((output) => output.name === 'sum')?.data).toEqual([1.5, 2.5, 3.5, 6, 7, 8]);
    expect(await tenant.modelReady('add-mul-gpu')).toBe(true);
  });

  it('meters the endpoint’s time as compute', async () => {
    const month = new Date().toISOString().slice(0, 7);
    const computeOf = async () =>
      (await tenant.usage(month)).rows
        .filter((row) => row.modelName === 'add-mul-gpu')
        .reduce((sum, row) => sum + row.computeMs, 0);
    const before = await computeOf();
    platform.sagemaker.inject({ kind: 'slow', ms: 300 }, 1);

    await tenant.infer('add-mul-gpu', body);

    const added = (await computeOf()) - before;
    expect(added).toBeGreaterThanOrEqual(300);
    expect(added).toBeLessThan(1_000);
  });

  it('answers 502 with the model’s message when the container fails, counted as an error', async () => {
    const month = new Date().toISOString().slice(0, 7);
    const errorsOf = async () =>
      (await tenant.usage(month)).rows
        .filter((row) => row.modelName === 'add-mul-gpu')
        .reduce((sum, row) => sum + row.errors, 0);
    const before = await errorsOf();
    platform.sagemaker.inject({
      kind: 'model-error',
      status: 500,
      message: 'Triton: model instance crashed',
    });

    const error = await errorOf(tenant.infer('add-mul-gpu', body));

    expect(error.status).toBe(502);
    expect(error.code).toBe('model_error');
    expect(error.message).toContain('Triton: model instance crashed');
    expect((await errorsOf()) - before).toBe(1);
  });

  it('answers 504 when the endpoint hangs and 503 with Retry-After when it is down', async () => {
    platform.sagemaker.inject({ kind: 'hang' });
    const hung = await errorOf(tenant.infer('add-mul-gpu', body));
    expect(hung.status).toBe(504);
    expect(hung.code).toBe('endpoint_timeout');
    platform.sagemaker.clear();

    await platform.sagemaker.down();
    try {
      const response = await fetch(`${platform.url}/v2/models/add-mul-gpu/infer`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${(await platform.admin.createKey({ tenantId })).key}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('5');
      expect(await response.json()).toMatchObject({ code: 'endpoint_unavailable' });
    } finally {
      await platform.sagemaker.up();
    }
    expect((await tenant.infer('add-mul-gpu', body)).outputs).toHaveLength(2);
  });

  it('answers 400 for inputs the model refuses on the endpoint', async () => {
    const error = await errorOf(
      tenant.infer('add-mul-gpu', {
        inputs: [
          { name: 'a', shape: [2, 3], datatype: 'FP32', data: [1, 2, 3, 4, 5, 6] },
          { name: 'b', shape: [3, 3], datatype: 'FP32', data: [1, 2, 3, 4, 5, 6, 7, 8, 9] },
        ],
      }),
    );

    expect(error.status).toBe(400);
    expect(error.code).toBe('inference_failed');
  });

  it('refuses registrations the tier cannot take, leaving nothing behind', async () => {
    const unknown = await errorOf(
      platform.admin.registerModel('add-mul-gpu', fixtureModel('add-mul.onnx'), {
        visibility: 'public',
        tier: 'sagemaker',
        endpoint: 'no-such-gpu',
      }),
    );
    expect(unknown.status).toBe(400);
    expect(unknown.code).toBe('unknown_endpoint');
    expect(unknown.message).toContain(`"${gpuName}"`);

    const misplaced = await errorOf(
      platform.admin.registerModel('add-mul-cpu', fixtureModel('add-mul.onnx'), {
        visibility: 'public',
        endpoint: gpuName,
      }),
    );
    expect(misplaced.status).toBe(400);
    expect(misplaced.code).toBe('invalid_request');

    // A scalar at the model's boundary: Triton's dims need at least one entry.
    const scalar = await errorOf(
      platform.admin.registerModel('scalar-gpu', fixtureModel('scalar.onnx'), {
        visibility: 'public',
        tier: 'sagemaker',
      }),
    );
    expect(scalar.status).toBe(400);
    expect(scalar.code).toBe('unsupported_model');
    expect(scalar.message).toMatch(/input 'x' is a scalar/);
    expect((await platform.admin.listVersions('scalar-gpu')).versions).toEqual([]);
    expect((await platform.admin.listVersions('add-mul-gpu')).versions).toHaveLength(1);
  });

  it('serves every datatype, FP16 included, with the same answer as the lambda tier', async () => {
    for (const [name, tier] of [
      ['identity-gpu', 'sagemaker'],
      ['identity-cpu', 'lambda'],
    ] as const) {
      const version = await platform.admin.registerModel(name, fixtureModel('identity-all-types.onnx'), {
        visibility: 'public',
        tier,
      });
      await platform.admin.setAlias(name, 'prod', version.version);
    }
    const values: [InferInputTensor['datatype'], InferValue[]][] = [
      ['BOOL', [true, false]],
      ['UINT8', [0, 255]],
      ['UINT16', [0, 65535]],
      ['UINT32', [0, 4294967295]],
      ['UINT64', ['18446744073709551615', 1]],
      ['INT8', [-128, 127]],
      ['INT16', [-32768, 32767]],
      ['INT32', [-2147483648, 2147483647]],
      ['INT64', ['-9223372036854775808', '9223372036854775807']],
      ['FP16', [0.5, 'Infinity']],
      ['FP32', [0.1, 'NaN']],
      ['FP64', [1e300, -0.5]],
      ['BYTES', ['héllo', '']],
    ];
    const request = {
      inputs: values.map(([datatype, data]): InferInputTensor => ({
        name: `in_${datatype.toLowerCase()}`,
        shape: [1, 2],
        datatype,
        data,
      })),
    };

    const [onGpu, onCpu] = await Promise.all([
      tenant.infer('identity-gpu', request),
      tenant.infer('identity-cpu', request),
    ]);

    expect(onGpu.outputs).toEqual(onCpu.outputs);
    expect(onGpu.outputs).toHaveLength(13);
    expect(onGpu.outputs.find((output) => output.name === 'out_fp16')?.data).toEqual([0.5, 'Infinity']);
    expect(onGpu.outputs.find((output) => output.name === 'out_uint64')?.data).toEqual([
      '18446744073709551615',
      1,
    ]);
  });
});
