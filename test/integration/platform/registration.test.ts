import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InfergateApiError } from '../../../client';
import type { ModelVersion } from '../../../functions/core/registry/types';
import { DEMO_MODEL, pretrainedFile } from '../../../models/pretrained';
import { quantizeModel } from '../../../models/quantize';
import { fixtureModel } from '../../support/fixtures';
import { trainedDigitsOnnx } from '../../support/digits-model';
import { startTestPlatform, type TestPlatform } from '../../support/platform';

const MAX_MODEL_BYTES = 256 * 1024;

/**
 * The registration gate through the admin API, on the real platform (dynalite, s3rver,
 * onnxruntime-web in the admin function): every kind of bad file is refused with a 400, a
 * stable code and a message naming the problem, and leaves no version, no alias, no
 * upload and no artifact behind; a good model registers with what was checked, and an
 * int8 version records its agreement with its fp32 baseline.
 */
describe('registration gate', () => {
  let platform: TestPlatform;

  beforeAll(async () => {
    // A small limit, so that "too large" needs no large file.
    platform = await startTestPlatform({ maxModelBytes: MAX_MODEL_BYTES });
  });

  afterAll(async () => {
    await platform.stop();
  });

  async function errorOf(call: Promise<unknown>): Promise<InfergateApiError> {
    try {
      await call;
    } catch (error) {
      if (error instanceof InfergateApiError) return error;
      throw error;
    }
    throw new Error('expected the call to fail');
  }

  /** Uploads bytes without announcing their size (as a client may), so the gate sees them all. */
  async function upload(bytes: Uint8Array): Promise<string> {
    const ticket = await platform.admin.createUpload({});
    const response = await fetch(ticket.url, { method: 'PUT', body: Buffer.from(bytes) });
    expect(response.status).toBe(200);
    return ticket.uploadId;
  }

  async function objectKeys(): Promise<string[]> {
    const listed = await platform.s3.client.send(new ListObjectsV2Command({ Bucket: platform.s3.bucket }));
    return (listed.Contents ?? []).map((object) => object.Key ?? '').sort();
  }

  /** Registers `bytes` as a new model and expects a refusal; checks that nothing remains. */
  async function refusal(name: string, bytes: Uint8Array): Promise<InfergateApiError> {
    await platform.admin.createModel({ name, visibility: 'public' });
    const before = await objectKeys();
    const uploadId = await upload(bytes);

    const error = await errorOf(platform.admin.createVersion(name, { uploadId }));

    const detail = await platform.admin.getModel(name);
    expect(detail.versions).toEqual([]);
    expect(detail.aliases).toEqual([]);
    // Validation runs before a version number is allocated.
    expect(detail.model.latestVersion).toBe(0);
    expect(await objectKeys()).toEqual(before);
    return error;
  }

  const rejected = (file: string) => readFile(fixtureModel(join('rejected', file)));

  it.each<[string, string, string, RegExp]>([
    ['an empty file', 'empty.onnx', 'empty_model', /empty \(0 bytes\)/],
    [
      'a truncated model',
      'truncated.onnx',
      'invalid_model',
      /ends in the middle of a field after 120 bytes \(truncated\?\)/,
    ],
    [
      'a corrupt model',
      'corrupt.onnx',
      'invalid_model',
      /not a valid ONNX model for onnxruntime-web 1\.\d+\.\d+ \(wasm\): This is an invalid model\. Graph output \(product\) does not exist/,
    ],
    ['a PNG image', 'image.png', 'invalid_model', /The uploaded file is a PNG image, not an ONNX model/],
    ['a text file', 'notes.txt', 'invalid_model', /The uploaded file is a text file, not an ONNX model/],
    [
      'an operator no runtime implements',
      'custom-operator.onnx',
      'unsupported_operator',
      /uses the operator com\.example:Frobnicate, which onnxruntime-web 1\.\d+\.\d+ \(wasm\) does not implement/,
    ],
    [
      'an opset newer than the runtime',
      'future-opset.onnx',
      'unsupported_opset',
      /imports opset 30 of ai\.onnx; onnxruntime-web 1\.\d+\.\d+ \(wasm\) supports up to \d+/,
    ],
    [
      'a model that fails on its sample input',
      'run-fails.onnx',
      'model_run_failed',
      /failed on a generated sample input \(x FP32 \[1, 5\]\): .*cannot be reshaped to the requested shape/,
    ],
    [
      'a model whose output contradicts its declaration',
      'output-mismatch.onnx',
      'output_mismatch',
      /output 'y' is FP32 \[1, 32\]; it declares FP32 \[-1, 4\]/,
    ],
  ])('refuses %s (%s) as %s, leaving nothing behind', async (_label, file, code, message) => {
    const name = `refused-${file.replace(/\.\w+$/, '')}`;

    const error = await refusal(name, await rejected(file));

    expect(error.status).toBe(400);
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });

  it('refuses a file over the configured limit as model_too_large, leaving nothing behind', async () => {
    const bytes = await readFile(pretrainedFile(DEMO_MODEL.file));
    expect(bytes.byteLength).toBeGreaterThan(MAX_MODEL_BYTES);

    const error = await refusal('refused-too-large', bytes);

    expect(error).toMatchObject({ status: 400, code: 'model_too_large' });
    expect(error.message).toBe(
      `The model file is ${bytes.byteLength} bytes; the limit is ${MAX_MODEL_BYTES} bytes`,
    );
  });

  it('refuses an upload announced over the limit before any byte is sent', async () => {
    const error = await errorOf(platform.admin.createUpload({ size: MAX_MODEL_BYTES + 1 }));

    expect(error).toMatchObject({ status: 413, code: 'artifact_too_large' });
  });

  describe('a valid model and its int8 quantization', () => {
    let fp32: Uint8Array;
    let int8: Uint8Array;
    let original: ModelVersion;

    beforeAll(async () => {
      fp32 = Buffer.from(await trainedDigitsOnnx());
      int8 = (await quantizeModel(fp32, { mode: 'dynamic-int8' })).bytes;
      original = await platform.admin.registerModel('digits', fp32, { visibility: 'public' });
    });

    it('registers the fp32 model with what was checked and its schema', () => {
      expect(original).toMatchObject({
        version: '1',
        inputs: [{ name: 'pixels', datatype: 'FP32', shape: [-1, 64] }],
        outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 10] }],
        opset: 13,
        validation: {
          runtime: expect.stringMatching(/^onnxruntime-web 1\.\d+\.\d+ \(wasm\)$/),
          sample: [{ name: 'pixels', shape: [1, 64] }],
        },
      });
      expect(original.agreement).toBeUndefined();
    });

    it('records the int8 version’s agreement with the fp32 baseline, shown by the admin API', async () => {
      const quantized = await platform.admin.registerModel('digits', int8, {
        visibility: 'public',
        baseline: original.version,
      });

      const agreement = quantized.agreement;
      expect(agreement).toMatchObject({ baselineVersion: '1', samples: 32, seed: 42 });
      const [probabilities] = agreement?.outputs ?? [];
      expect(probabilities).toMatchObject({ output: 'probabilities', rows: 32, nonFiniteMismatches: 0 });
      // int8 weights move the probabilities a little, and rarely the winning class.
      expect(probabilities?.maxAbsDiff).toBeGreaterThan(0);
      expect(probabilities?.maxAbsDiff).toBeLessThan(0.1);
      expect(probabilities?.topOneAgreement).toBeGreaterThanOrEqual(0.9);
      const stored = (await platform.admin.getModel('digits')).versions.find(
        (v) => v.version === quantized.version,
      );
      expect(stored?.agreement).toEqual(agreement);
      expect(stored?.validation).toEqual(quantized.validation);
    });

    it('measures a version against an identical baseline as in full agreement', async () => {
      const same = await platform.admin.registerModel('digits', fp32, {
        visibility: 'public',
        baseline: '1',
      });

      expect(same.agreement?.outputs).toEqual([
        { output: 'probabilities', maxAbsDiff: 0, nonFiniteMismatches: 0, topOneAgreement: 1, rows: 32 },
      ]);
    });

    it('refuses a baseline that does not exist, or that takes other inputs, leaving nothing behind', async () => {
      const before = await objectKeys();
      const latest = (await platform.admin.getModel('digits')).model.latestVersion;

      const missing = await errorOf(
        platform.admin.createVersion('digits', { uploadId: await upload(int8), baseline: '99' }),
      );
      await platform.admin.registerModel('add-mul-vs-digits', fixtureModel('add-mul.onnx'), {
        visibility: 'public',
      });
      const keysWithAddMul = await objectKeys();
      const incompatible = await errorOf(
        platform.admin.createVersion('add-mul-vs-digits', { uploadId: await upload(fp32), baseline: '1' }),
      );

      expect(missing).toMatchObject({ status: 400, code: 'baseline_not_found' });
      expect(missing.message).toMatch(/model "digits" has no version "99"/);
      expect(incompatible).toMatchObject({ status: 400, code: 'baseline_incompatible' });
      expect(incompatible.message).toMatch(
        /Baseline version 1 takes inputs a FP32 \[-1, 3\], b FP32 \[-1, 3\]; this version takes pixels FP32 \[-1, 64\]/,
      );
      expect((await platform.admin.getModel('digits')).model.latestVersion).toBe(latest);
      expect((await platform.admin.listVersions('add-mul-vs-digits')).versions).toHaveLength(1);
      expect(before.every((key) => keysWithAddMul.includes(key))).toBe(true);
      expect(await objectKeys()).toEqual(keysWithAddMul);
    });
  });
});
