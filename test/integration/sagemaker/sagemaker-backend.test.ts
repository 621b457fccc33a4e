/**
 * @jest-environment ./test/integration/runtime/native-realm-environment.js
 */
import { readFileSync } from 'node:fs';
import {
  createSageMakerRuntimeClient,
  MAX_INVOKE_BODY_BYTES,
  SageMakerBackend,
} from '../../../functions/adapters/sagemaker';
import { S3ArtifactStore } from '../../../functions/adapters/s3';
import { storeTritonArchive } from '../../../functions/core/admin/sagemaker-registration';
import type { GpuEndpointRef } from '../../../functions/core/endpoints';
import { InfergateError } from '../../../functions/core/errors';
import type { ModelVersion } from '../../../functions/core/registry/types';
import { readOnnxSchema } from '../../../functions/core/runtime/onnx-schema';
import { DATATYPES } from '../../../functions/core/tensors/datatypes';
import { decodeInferRequest } from '../../../functions/core/tensors/oip-codec';
import type { Tensor } from '../../../functions/core/tensors/tensor';
import {
  BINARY_CONTENT_TYPE_PREFIX,
  decodeBinaryTensor,
  encodeBinaryInferRequest,
  readInferBody,
} from '../../../functions/core/triton/binary-tensors';
import { stringifyInferResponse } from '../../../functions/core/triton/infer-json';
import { startLocalSageMaker, type LocalSageMaker } from '../../../local/sagemaker/endpoint-server';
import { buildOnnxModel } from '../../../models/onnx/builder';
import { fixtureModel } from '../../support/fixtures';
import { LOCAL_S3, startS3rver, type LocalS3 } from '../../support/s3rver';

/**
 * The `sagemaker` tier's real path: the SDK's InvokeEndpoint (endpoint override) to the
 * local SageMaker, whose Triton-like container loads the registered model.tar.gz from the
 * local S3 and runs it on onnxruntime-node; failures are injected in the container and
 * the runtime API and must come back as the platform's errors. Tensors travel as Triton's
 * binary tensor data both ways, under SageMaker's 6 MB limits, which the local runtime API
 * enforces.
 */
describe('SageMakerBackend against the local SageMaker', () => {
  const ENDPOINT: GpuEndpointRef = { name: 'gpu-test', endpointName: 'infergate-test-gpu-test' };
  const TIMEOUT_MS = 800;
  let s3: LocalS3;
  let sagemaker: LocalSageMaker;
  let backend: SageMakerBackend;
  let addMul: ModelVersion;
  let identity: ModelVersion;
  let twice: ModelVersion;

  /** Registers a model's archive the way AdminService does and returns its version. */
  async function register(modelName: string, onnx: Uint8Array): Promise<ModelVersion> {
    const schema = readOnnxSchema(onnx);
    const fields = await storeTritonArchive({
      artifacts: new S3ArtifactStore({ bucket: s3.bucket, client: s3.client }),
      endpoint: ENDPOINT,
      modelName,
      onnx,
      schema,
      written: [],
    });
    return {
      modelName,
      version: '1',
      tier: 'sagemaker',
      artifact: { sha256: '0'.repeat(64), size: onnx.byteLength, key: 'artifacts/sha256/unused.onnx' },
      inputs: schema.inputs,
      outputs: schema.outputs,
      createdAt: new Date(0).toISOString(),
      ...fields,
    };
  }

  const addMulBody = (a: number[][], b: number[][]) => ({
    inputs: [
      { name: 'a', shape: [a.length, a[0]?.length ?? 0], datatype: 'FP32', data: a.flat() },
      { name: 'b', shape: [b.length, b[0]?.length ?? 0], datatype: 'FP32', data: b.flat() },
    ],
  });

  function run(version: ModelVersion, body: unknown) {
    return backend.run(version, decodeInferRequest(body, version.inputs, version.outputs));
  }

  function numbers(tensor: Tensor | undefined): number[] {
    if (tensor === undefined) throw new Error('the output is missing');
    const { data } = tensor;
    if (Array.isArray(data) || data instanceof BigInt64Array || data instanceof BigUint64Array) {
      throw new Error(`${tensor.datatype} data is not plain numbers`);
    }
    return Array.from(data, Number);
  }

  async function failure(promise: Promise<unknown>): Promise<InfergateError> {
    try {
      await promise;
    } catch (error) {
      if (error instanceof InfergateError) return error;
      throw error;
    }
    throw new Error('expected an InfergateError');
  }

  beforeAll(async () => {
    process.env.AWS_REGION = LOCAL_S3.region;
    process.env.AWS_ACCESS_KEY_ID = LOCAL_S3.credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = LOCAL_S3.credentials.secretAccessKey;
    s3 = await startS3rver();
    sagemaker = await startLocalSageMaker({
      endpoints: [ENDPOINT],
      artifacts: new S3ArtifactStore({ bucket: s3.bucket, client: s3.client }),
    });
    backend = new SageMakerBackend({
      client: createSageMakerRuntimeClient({ endpoint: sagemaker.endpoint, timeoutMs: TIMEOUT_MS }),
      endpoints: new Set([ENDPOINT.endpointName, 'infergate-test-not-deployed']),
      retryBaseMs: 5,
    });
    addMul = await register('add-mul', readFileSync(fixtureModel('add-mul.onnx')));
    // Every datatype, through Identity: values must come back exact, bit for bit.
    const types = DATATYPES;
    identity = await register(
      'identity',
      buildOnnxModel({
        name: 'identity',
        inputs: types.map((datatype) => ({ name: `in_${datatype.toLowerCase()}`, datatype, shape: ['n'] })),
        outputs: types.map((datatype) => ({ name: `out_${datatype.toLowerCase()}`, datatype, shape: ['n'] })),
        nodes: types.map((datatype) => ({
          op: 'Identity',
          inputs: [`in_${datatype.toLowerCase()}`],
          outputs: [`out_${datatype.toLowerCase()}`],
        })),
      }),
    );
    // Its input twice: a response twice the request's size.
    twice = await register(
      'twice',
      buildOnnxModel({
        name: 'twice',
        inputs: [{ name: 'x', datatype: 'FP32', shape: ['n'] }],
        outputs: [
          { name: 'y', datatype: 'FP32', shape: ['n'] },
          { name: 'z', datatype: 'FP32', shape: ['n'] },
        ],
        nodes: [
          { op: 'Identity', inputs: ['x'], outputs: ['y'] },
          { op: 'Identity', inputs: ['x'], outputs: ['z'] },
        ],
      }),
    );
  });

  /** `count` FP32 values that need all their digits in JSON. */
  function floats(count: number): Float32Array {
    return Float32Array.from({ length: count }, (_, i) => Math.fround(Math.sin(i + 0.5) * 1000));
  }

  afterEach(() => sagemaker.clear());

  afterAll(async () => {
    await sagemaker.close();
    await s3.stop();
  });

  it('runs the model through InvokeEndpoint and meters the endpoint time', async () => {
    const result = await run(addMul, addMulBody([[1, 2, 3]], [[4, 5, 6]]));

    expect(numbers(result.outputs.sum)).toEqual([5, 7, 9]);
    expect(numbers(result.outputs.product)).toEqual([4, 10, 18]);
    expect(result.outputs.sum?.shape).toEqual([1, 3]);
    expect(result.computeMs).toBeGreaterThan(0);
  });

  it('returns only the outputs asked for', async () => {
    const result = await run(addMul, {
      ...addMulBody([[1, 1, 1]], [[2, 2, 2]]),
      outputs: [{ name: 'product' }],
    });

    expect(Object.keys(result.outputs)).toEqual(['product']);
    expect(numbers(result.outputs.product)).toEqual([2, 2, 2]);
  });

  it('carries every datatype exactly as binary tensor data, FP16 and 64-bit integers beyond 2^53 included', async () => {
    const values: Record<string, unknown[]> = {
      BOOL: [true, false],
      UINT8: [0, 255],
      UINT16: [0, 65535],
      UINT32: [0, 4294967295],
      UINT64: ['18446744073709551615', '9007199254740993'],
      INT8: [-128, 127],
      INT16: [-32768, 32767],
      INT32: [-2147483648, 2147483647],
      INT64: ['-9223372036854775808', '9223372036854775807'],
      FP16: [0.5, 65504],
      FP32: [0.5, 'NaN'],
      FP64: [1e300, 12345678901234568],
      BYTES: ['héllo', ''],
    };
    const body = {
      inputs: Object.entries(values).map(([datatype, data]) => ({
        name: `in_${datatype.toLowerCase()}`,
        shape: [2],
        datatype,
        data,
      })),
    };

    const result = await run(identity, body);

    expect(result.outputs.out_uint64?.data).toEqual(new BigUint64Array([2n ** 64n - 1n, 2n ** 53n + 1n]));
    expect(result.outputs.out_int64?.data).toEqual(new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]));
    expect(numbers(result.outputs.out_fp64)).toEqual([1e300, 12345678901234568]);
    expect(Number.isNaN(Number(result.outputs.out_fp32?.data[1]))).toBe(true);
    expect(result.outputs.out_bytes?.data).toEqual(['héllo', '']);
    expect(numbers(result.outputs.out_bool)).toEqual([1, 0]);
    expect(numbers(result.outputs.out_uint32)).toEqual([0, 4294967295]);
    // Half bits of 0.5 and 65504 (FP16's largest finite value).
    expect(result.outputs.out_fp16?.data).toEqual(new Uint16Array([0x3800, 0x7bff]));
    expect(result.outputs.out_int8?.data).toEqual(new Int8Array([-128, 127]));
  });

  it('carries a million FP32 values each way exactly, which as JSON would be far over 6 MB', async () => {
    const x = floats(1_000_000);
    const request = { inputs: [{ name: 'x', shape: [x.length], datatype: 'FP32', data: Array.from(x) }] };

    const result = await run(twice, { ...request, outputs: [{ name: 'y' }] });

    const y = result.outputs.y?.data;
    // Bit for bit, as bytes: jest's element-wise equality is slow at this size.
    expect(
      y instanceof Float32Array &&
        Buffer.from(y.buffer, y.byteOffset, y.byteLength).equals(Buffer.from(x.buffer)),
    ).toBe(true);
    expect(Object.keys(result.outputs)).toEqual(['y']);
    // What the same exchange would have weighed as Triton JSON.
    const asJson = stringifyInferResponse({
      modelName: 'twice',
      modelVersion: '1',
      outputs: [{ name: 'y', tensor: { datatype: 'FP32', shape: [x.length], data: x } }],
    }).length;
    expect(asJson).toBeGreaterThan(2 * MAX_INVOKE_BODY_BYTES);
  });

  it('answers 502 response_too_large when the model’s answer is over the 6 MB SageMaker returns, without a retry', async () => {
    // 1M values in (4 MB), 2M out (8 MB).
    const x = floats(1_000_000);
    const before = sagemaker.invocations;

    const error = await failure(
      run(twice, { inputs: [{ name: 'x', shape: [x.length], datatype: 'FP32', data: Array.from(x) }] }),
    );

    expect(error.status).toBe(502);
    expect(error.code).toBe('response_too_large');
    expect(error.message).toBe(
      "The model's answer is larger than the 6 MB a GPU endpoint can return; send fewer rows or ask for fewer outputs",
    );
    expect(sagemaker.invocations - before).toBe(1);
  });

  it('answers 400 inference_failed with the model server’s message for inputs the model refuses', async () => {
    // Batches of 2 and 3 pass the schema ([-1, 3] each) but do not broadcast.
    const error = await failure(
      run(
        addMul,
        addMulBody(
          [
            [1, 2, 3],
            [1, 2, 3],
          ],
          [
            [1, 1, 1],
            [2, 2, 2],
            [3, 3, 3],
          ],
        ),
      ),
    );

    expect(error.status).toBe(400);
    expect(error.code).toBe('inference_failed');
    expect(error.message).toMatch(/^the model cannot run on these inputs: .*(broadcast|dimension)/i);
  });

  it('answers 400 for a batch above the config’s max_batch_size, as Triton does', async () => {
    const rows = Array.from({ length: 17 }, () => [1, 2, 3]);
    const error = await failure(run(addMul, addMulBody(rows, rows)));

    expect(error.status).toBe(400);
    expect(error.message).toMatch(/batch-size must be <= 16/);
  });

  it('answers 502 model_error with the model’s own message when the container answers 500', async () => {
    sagemaker.inject({ kind: 'model-error', status: 500, message: 'CUDA out of memory on device 0' });

    const error = await failure(run(addMul, addMulBody([[1, 2, 3]], [[4, 5, 6]])));

    expect(error.status).toBe(502);
    expect(error.code).toBe('model_error');
    expect(error.message).toBe('The model failed: CUDA out of memory on device 0');
  });

  it('answers 504 endpoint_timeout when the container hangs, after the client’s timeout and without a retry', async () => {
    sagemaker.inject({ kind: 'hang' });
    const before = sagemaker.invocations;
    const started = performance.now();

    const error = await failure(run(addMul, addMulBody([[1, 2, 3]], [[4, 5, 6]])));

    const elapsed = performance.now() - started;
    expect(error.status).toBe(504);
    expect(error.code).toBe('endpoint_timeout');
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(elapsed).toBeLessThan(TIMEOUT_MS * 3);
    expect(sagemaker.invocations - before).toBe(1);
  });

  it('answers 503 endpoint_unavailable with Retry-After when the endpoint is down, and serves again when it is back', async () => {
    await sagemaker.down();
    try {
      const error = await failure(run(addMul, addMulBody([[1, 2, 3]], [[4, 5, 6]])));

      expect(error.status).toBe(503);
      expect(error.code).toBe('endpoint_unavailable');
      expect(error.headers['retry-after']).toBe('5');
    } finally {
      await sagemaker.up();
    }
    const result = await run(addMul, addMulBody([[1, 2, 3]], [[4, 5, 6]]));
    expect(numbers(result.outputs.sum)).toEqual([5, 7, 9]);
  });

  it('retries throttling: one throttled call is absorbed, a throttled endpoint is 503 endpoint_throttled', async () => {
    sagemaker.inject({ kind: 'throttle' }, 1);
    const before = sagemaker.invocations;
    const result = await run(addMul, addMulBody([[1, 2, 3]], [[4, 5, 6]]));
    expect(numbers(result.outputs.sum)).toEqual([5, 7, 9]);
    expect(sagemaker.invocations - before).toBe(2);

    sagemaker.inject({ kind: 'throttle' });
    const error = await failure(run(addMul, addMulBody([[1, 2, 3]], [[4, 5, 6]])));
    expect(error.status).toBe(503);
    expect(error.code).toBe('endpoint_throttled');
    expect(error.headers['retry-after']).toBe('1');
  });

  it('answers 503 when SageMaker itself is unavailable', async () => {
    sagemaker.inject({ kind: 'unavailable' });

    const error = await failure(run(addMul, addMulBody([[1, 2, 3]], [[4, 5, 6]])));

    expect(error.status).toBe(503);
    expect(error.code).toBe('endpoint_unavailable');
  });

  it('answers 503 for an endpoint SageMaker does not know, and for one outside the deployment', async () => {
    const unknown = await failure(
      run({ ...addMul, endpointName: 'infergate-test-not-deployed' }, addMulBody([[1, 2, 3]], [[4, 5, 6]])),
    );
    expect(unknown.status).toBe(503);
    expect(unknown.code).toBe('endpoint_unavailable');

    const outside = await failure(
      run({ ...addMul, endpointName: 'someone-elses-endpoint' }, addMulBody([[1, 2, 3]], [[4, 5, 6]])),
    );
    expect(outside.status).toBe(503);
    expect(outside.message).toMatch(/not part of this deployment/);
    await expect(backend.prepare({ ...addMul, endpointName: 'someone-elses-endpoint' })).rejects.toThrow(
      /not part of this deployment/,
    );
  });

  it('answers 503 when the version’s archive is not on the endpoint', async () => {
    const error = await failure(
      run({ ...addMul, targetModel: `${'f'.repeat(64)}.tar.gz` }, addMulBody([[1, 2, 3]], [[4, 5, 6]])),
    );

    expect(error.status).toBe(503);
    expect(error.code).toBe('endpoint_unavailable');
  });

  it('refuses a request over SageMaker’s 6 MB before calling, and so does the local runtime API', async () => {
    // 2 inputs of 270,000 × 3 FP32 values: 6.48 MB of binary data.
    const rows = Array.from({ length: 270_000 }, () => [0.1, 0.1, 0.1]);
    const before = sagemaker.invocations;

    const error = await failure(run(addMul, addMulBody(rows, rows)));

    expect(error.status).toBe(413);
    expect(error.code).toBe('payload_too_large');
    expect(error.message).toMatch(
      /^The request is 6480\d{3} bytes as binary tensors for the GPU endpoint, which takes at most 6291456 bytes/,
    );
    expect(sagemaker.invocations).toBe(before);
    const direct = await fetch(`${sagemaker.endpoint}/endpoints/${ENDPOINT.endpointName}/invocations`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-amzn-sagemaker-target-model': addMul.targetModel ?? '',
      },
      body: 'x'.repeat(6 * 1024 * 1024 + 1),
    });
    expect(direct.status).toBe(413);
    expect(direct.headers.get('x-amzn-errortype')).toBe('ValidationError');
  });

  it('speaks the container contract: GET /ping and POST /invocations with the target model', async () => {
    const container = sagemaker.containerUrl(ENDPOINT.endpointName);
    expect((await fetch(`${container}/ping`)).status).toBe(200);

    const response = await fetch(`${container}/invocations`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-amzn-sagemaker-target-model': addMul.targetModel ?? '',
      },
      body: JSON.stringify(addMulBody([[1, 2, 3]], [[1, 1, 1]])),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      model_name: 'add-mul',
      model_version: '1',
      outputs: [
        { name: 'sum', datatype: 'FP32', shape: [1, 3], data: [2, 3, 4] },
        { name: 'product', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] },
      ],
    });

    const refused = await fetch(`${container}/invocations`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-amzn-sagemaker-target-model': addMul.targetModel ?? '',
      },
      body: JSON.stringify({ inputs: [{ name: 'a', shape: [1, 3], datatype: 'INT32', data: [1, 2, 3] }] }),
    });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ error: expect.stringContaining("input 'a'") });
  });

  it('speaks Triton’s binary tensor data on SageMaker: the JSON header’s length in the content type', async () => {
    const container = sagemaker.containerUrl(ENDPOINT.endpointName);
    const tensor = (data: number[]): Tensor => ({
      datatype: 'FP32',
      shape: [1, 3],
      data: new Float32Array(data),
    });
    const request = encodeBinaryInferRequest({
      inputs: [
        { name: 'a', tensor: tensor([1, 2, 3]) },
        { name: 'b', tensor: tensor([2, 2, 2]) },
      ],
      outputNames: ['product'],
    });
    const invoke = (body: Uint8Array, contentType: string) =>
      fetch(`${container}/invocations`, {
        method: 'POST',
        headers: { 'content-type': contentType, 'x-amzn-sagemaker-target-model': addMul.targetModel ?? '' },
        body: new Uint8Array(body),
      });

    const response = await invoke(request.body, request.contentType);
    const contentType = response.headers.get('content-type') ?? '';
    const answer = new Uint8Array(await response.arrayBuffer());
    const { header, tensors } = readInferBody(answer, contentType, 'outputs');

    expect(response.status).toBe(200);
    expect(contentType).toMatch(new RegExp(`^${BINARY_CONTENT_TYPE_PREFIX.replace(/[.+]/g, '\\$&')}\\d+$`));
    expect(header).toEqual({
      model_name: 'add-mul',
      model_version: '1',
      outputs: [{ name: 'product', datatype: 'FP32', shape: [1, 3], parameters: { binary_data_size: 12 } }],
    });
    expect(decodeBinaryTensor('FP32', [1, 3], tensors[0]?.binary ?? new Uint8Array(), 'product')).toEqual(
      new Float32Array([2, 4, 6]),
    );

    // A header size beyond the body, and binary data one byte short: 400 with Triton's error body.
    const beyond = await invoke(request.body, `${BINARY_CONTENT_TYPE_PREFIX}${request.body.byteLength + 1}`);
    expect(beyond.status).toBe(400);
    expect(await beyond.json()).toEqual({
      error: expect.stringMatching(/^json-header-size is \d+ but the body has only/),
    });
    const short = await invoke(request.body.subarray(0, request.body.byteLength - 1), request.contentType);
    expect(short.status).toBe(400);
    expect(await short.json()).toEqual({
      error: "inputs[1] ('b') has binary_data_size 12, but only 11 bytes of binary data remain",
    });
  });
});
