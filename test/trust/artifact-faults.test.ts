import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { readFile } from 'node:fs/promises';
import { InfergateApiError, type InferRequest } from '../../client';
import type { ModelVersion } from '../../functions/core/registry/types';
import { fixtureModel } from '../support/fixtures';
import { startS3rver, type LocalS3 } from '../support/s3rver';
import { startTrustPlatform, type TrustPlatform, type TrustTenant } from './support/trust-platform';

/**
 * Artifacts missing from the store or corrupt in it (overwritten through the SDK with other
 * bytes): that model answers 502 with a code and reports itself not ready (OIP readiness:
 * 503 with the same code); the other models are not affected; a restored artifact serves
 * again without a restart (failed loads are not remembered); a model already loaded stays
 * ready and keeps serving from memory.
 */
describe('artifacts missing or corrupt', () => {
  let s3: LocalS3;
  let trust: TrustPlatform;
  let tenant: TrustTenant;
  const versions = new Map<string, ModelVersion>();
  const bytes = new Map<string, Uint8Array>();

  const ADD_MUL_REQUEST = {
    inputs: [
      { name: 'a', shape: [1, 3], datatype: 'FP32' as const, data: [1, 2, 3] },
      { name: 'b', shape: [1, 3], datatype: 'FP32' as const, data: [4, 5, 6] },
    ],
  };

  const SCALAR_REQUEST: InferRequest = { inputs: [{ name: 'x', shape: [], datatype: 'FP32', data: [1] }] };
  const ALL_TYPES_REQUEST: InferRequest = {
    inputs: (
      [
        ['bool', 'BOOL', true],
        ['uint8', 'UINT8', 1],
        ['uint16', 'UINT16', 1],
        ['uint32', 'UINT32', 1],
        ['uint64', 'UINT64', 1],
        ['int8', 'INT8', 1],
        ['int16', 'INT16', 1],
        ['int32', 'INT32', 1],
        ['int64', 'INT64', 1],
        ['fp16', 'FP16', 1],
        ['fp32', 'FP32', 1],
        ['fp64', 'FP64', 1],
        ['bytes', 'BYTES', 'x'],
      ] as const
    ).map(([suffix, datatype, value]) => ({ name: `in_${suffix}`, shape: [1, 1], datatype, data: [value] })),
  };

  async function outcome(call: Promise<unknown>): Promise<string> {
    try {
      await call;
      return '200';
    } catch (error) {
      if (error instanceof InfergateApiError) return `${error.status} ${error.code}`;
      throw error;
    }
  }

  /** `GET .../ready` as a status and code (the client's `modelReady` only says true or false). */
  async function readiness(name: string): Promise<string> {
    const response = await fetch(`${trust.url}/v2/models/${name}/ready`, {
      headers: { authorization: `Bearer ${tenant.key}` },
    });
    const body: unknown = await response.json();
    const code = typeof body === 'object' && body !== null ? Reflect.get(body, 'code') : undefined;
    return response.status === 200 ? '200' : `${response.status} ${String(code)}`;
  }

  const objectKey = (name: string) => versions.get(name)?.artifact.key ?? '';

  beforeAll(async () => {
    s3 = await startS3rver();
    trust = await startTrustPlatform({ overrides: { s3Endpoint: s3.endpoint, artifactBucket: s3.bucket } });
    tenant = await trust.tenant('artifacts');
    for (const [name, file] of [
      ['healthy', 'add-mul.onnx'],
      ['missing', 'scalar.onnx'],
      ['corrupt', 'identity-all-types.onnx'],
      ['loaded', 'add-mul.onnx'],
    ] as const) {
      const data = await readFile(fixtureModel(file));
      bytes.set(name, data);
      const version = await trust.admin.registerModel(name, data, { visibility: 'public' });
      await trust.admin.setAlias(name, 'prod', version.version);
      versions.set(name, version);
    }
  });

  afterAll(async () => {
    await trust.stop();
    await s3.stop();
  });

  it('reports a model whose artifact is missing as not ready and answers its inferences 502 artifact_missing', async () => {
    await s3.client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: objectKey('missing') }));

    const ready = await readiness('missing');
    const versionReady = await fetch(`${trust.url}/v2/models/missing/versions/1/ready`, {
      headers: { authorization: `Bearer ${tenant.key}` },
    });
    const inferred = await outcome(tenant.client.infer('missing', SCALAR_REQUEST));
    const metadata = await outcome(tenant.client.modelMetadata('missing'));

    expect(ready).toBe('503 artifact_missing');
    expect(versionReady.status).toBe(503);
    expect(await tenant.client.modelReady('missing')).toBe(false);
    expect(inferred).toBe('502 artifact_missing');
    // Metadata comes from the registry: the model is known, only not servable.
    expect(metadata).toBe('200');
  });

  it('reports a model whose artifact was overwritten as not ready and answers 502 artifact_corrupt', async () => {
    await s3.client.send(
      new PutObjectCommand({ Bucket: s3.bucket, Key: objectKey('corrupt'), Body: bytes.get('healthy') }),
    );

    expect(await readiness('corrupt')).toBe('503 artifact_corrupt');
    expect(await outcome(tenant.client.infer('corrupt', ALL_TYPES_REQUEST))).toBe('502 artifact_corrupt');
  });

  it('leaves the other models unaffected', async () => {
    expect(await readiness('healthy')).toBe('200');
    expect(await outcome(tenant.client.infer('healthy', ADD_MUL_REQUEST))).toBe('200');
    expect(await readiness('missing')).toBe('503 artifact_missing');
  });

  it('keeps serving a model that was loaded before its artifact went missing', async () => {
    expect(await readiness('loaded')).toBe('200');
    // add-mul.onnx is also `healthy`'s artifact: both are one object, addressed by content.
    expect(objectKey('loaded')).toBe(objectKey('healthy'));
    await s3.client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: objectKey('loaded') }));

    expect(await readiness('loaded')).toBe('200');
    expect(await outcome(tenant.client.infer('loaded', ADD_MUL_REQUEST))).toBe('200');
    expect(await outcome(tenant.client.infer('healthy', ADD_MUL_REQUEST))).toBe('200');
  });

  it('serves again once the artifacts are restored, without a restart', async () => {
    for (const name of ['missing', 'corrupt']) {
      await s3.client.send(
        new PutObjectCommand({ Bucket: s3.bucket, Key: objectKey(name), Body: bytes.get(name) }),
      );
    }

    expect(await readiness('missing')).toBe('200');
    expect(await readiness('corrupt')).toBe('200');
    expect(await outcome(tenant.client.infer('corrupt', ALL_TYPES_REQUEST))).toBe('200');
    expect(await outcome(tenant.client.infer('missing', SCALAR_REQUEST))).toBe('200');
  });

  it('metered the failed inferences as errors, and readiness checks not at all', async () => {
    const usage = await tenant.client.usage();
    const byModel = Object.fromEntries(usage.rows.map((row) => [row.modelName, [row.requests, row.errors]]));

    expect(byModel).toEqual({ missing: [1, 1], corrupt: [1, 1], healthy: [2, 0], loaded: [1, 0] });
  });

  it('never logged a key or a secret', () => {
    expect(trust.watch.output()).toMatch(/artifact_corrupt/);
    expect(trust.watch.leaks()).toEqual([]);
  });
});
