import sharp from 'sharp';
import { readFile } from 'node:fs/promises';
import type { ClassificationPrediction, ErrorBody, UsageReport } from '../../../functions/api/views';
import { InfergateApiError, type InfergateClient } from '../../../client';
import { DEMO_MODEL, pretrainedFile } from '../../../models/pretrained';
import { textDirectionPipeline } from '../../../models/pretrained-pipelines';
import { fixtureModel } from '../../support/fixtures';
import { startTestPlatform, type TestPlatform } from '../../support/platform';
import { renderTextLine } from '../../support/text-lines';

/**
 * `POST /v1/models/{name}/predict` over HTTP, through the local API Gateway and the real
 * handlers, with the text-direction classifier and its pipeline: answers, refusals with
 * their codes, metering and registration checks.
 */
describe('predict over HTTP', () => {
  let platform: TestPlatform;
  let tenantId: string;
  let key: string;
  let tenant: InfergateClient;
  let line: Buffer;

  const predict = (path: string, body: string | Uint8Array | undefined, contentType?: string, apiKey = key) =>
    fetch(`${platform.url}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${apiKey}`,
        ...(contentType === undefined ? {} : { 'content-type': contentType }),
      },
      body: typeof body === 'string' || body === undefined ? body : new Uint8Array(body),
    });
  const png = (path: string, body: Uint8Array) => predict(path, body, 'image/png');
  const json = (path: string, body: unknown) => predict(path, JSON.stringify(body), 'application/json');
  const PATH = `/v1/models/${DEMO_MODEL.name}/predict`;

  beforeAll(async () => {
    platform = await startTestPlatform();
    const created = await platform.admin.createTenant({ name: 'predictor', plan: 'enterprise' });
    tenantId = created.tenantId;
    key = (await platform.admin.createKey({ tenantId })).key;
    tenant = platform.client(key);
    const bytes = await readFile(pretrainedFile(DEMO_MODEL.file));
    const version = await platform.admin.registerModel(DEMO_MODEL.name, bytes, {
      visibility: 'public',
      pipeline: textDirectionPipeline(),
    });
    await platform.admin.setAlias(DEMO_MODEL.name, 'prod', version.version);
    const addMul = await platform.admin.registerModel('add-mul', fixtureModel('add-mul.onnx'), {
      visibility: 'public',
    });
    await platform.admin.setAlias('add-mul', 'prod', addMul.version);
    line = await renderTextLine('Hello World');
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
  });

  describe('answers', () => {
    it('classifies a PNG sent as raw bytes, with the version that answered', async () => {
      const response = await png(PATH, line);
      const body = (await response.json()) as ClassificationPrediction;

      expect(response.status).toBe(200);
      expect(response.headers.get('x-model-version')).toBe('1');
      expect(body).toMatchObject({ model_name: DEMO_MODEL.name, model_version: '1', rotated: false });
      expect(body.labels.map((entry) => entry.label)).toEqual(['0', '180']);
      expect(body.labels[0].score).toBeGreaterThan(0.9);
      expect(body.labels[0].score + body.labels[1].score).toBeCloseTo(1, 5);
    });

    it('finds the same line upside down, sent as base64 JSON, JPEG and WebP', async () => {
      const upsideDown = await renderTextLine('Hello World', { upsideDown: true });
      const forms = [
        await json(PATH, { image: upsideDown.toString('base64') }),
        await predict(PATH, await sharp(upsideDown).jpeg({ quality: 95 }).toBuffer(), 'image/jpeg'),
        await predict(PATH, await sharp(upsideDown).webp({ lossless: true }).toBuffer(), 'image/webp'),
      ];

      for (const response of forms) {
        expect(response.status).toBe(200);
        expect(((await response.json()) as ClassificationPrediction).labels[0].label).toBe('180');
      }
    });

    it('answers top_k labels from the body or the query', async () => {
      const fromBody = (await (
        await json(PATH, { image: line.toString('base64'), top_k: 1 })
      ).json()) as ClassificationPrediction;
      const fromQuery = (await (await png(`${PATH}?top_k=1`, line)).json()) as ClassificationPrediction;

      expect(fromBody.labels).toHaveLength(1);
      expect(fromQuery.labels).toEqual(fromBody.labels);
    });

    it('serves a version or an alias by path, and through the typed client', async () => {
      const byVersion = await png(`/v1/models/${DEMO_MODEL.name}/versions/1/predict`, line);
      const byClient = (await tenant.predict(DEMO_MODEL.name, line, {
        version: 'prod',
        topK: 1,
      })) as ClassificationPrediction;

      expect(byVersion.status).toBe(200);
      expect(byClient.labels).toEqual([{ label: '0', score: expect.any(Number) }]);
    });
  });

  describe('refuses bad images with a 400 and a code', () => {
    const cases: [string, () => Promise<Response>, number, string][] = [
      ['text sent as a PNG', () => predict(PATH, 'not an image at all', 'image/png'), 400, 'invalid_image'],
      [
        'a PNG cut in half',
        async () => png(PATH, line.subarray(0, Math.floor(line.length / 2))),
        400,
        'invalid_image',
      ],
      [
        'a PNG with a corrupt header',
        async () => png(PATH, Buffer.concat([line.subarray(0, 16), Buffer.alloc(40, 7)])),
        400,
        'invalid_image',
      ],
      [
        'a GIF',
        async () => predict(PATH, await sharp(line).gif().toBuffer(), 'image/png'),
        400,
        'unsupported_image_type',
      ],
      [
        'an SVG',
        async () => png(PATH, Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>')),
        400,
        'unsupported_image_type',
      ],
      [
        'an image of 4097 x 4097 pixels',
        async () =>
          png(
            PATH,
            await sharp({ create: { width: 4097, height: 4097, channels: 3, background: '#fff' } })
              .png()
              .toBuffer(),
          ),
        400,
        'image_too_large',
      ],
      ['an empty body', () => predict(PATH, new Uint8Array(0), 'image/png'), 400, 'empty_image'],
      ['an empty base64 string', () => json(PATH, { image: '' }), 400, 'empty_image'],
      [
        'a PNG whose header declares a width of 0',
        async () => {
          const zero = Buffer.from(line);
          zero.writeUInt32BE(0, 16);
          return png(PATH, zero);
        },
        400,
        'empty_image',
      ],
      [
        'base64 with a character outside the alphabet',
        () => json(PATH, { image: 'iVBORw0K!!' }),
        400,
        'invalid_base64',
      ],
      ['base64 of a bad length', () => json(PATH, { image: 'iVBORw0KG' }), 400, 'invalid_base64'],
      [
        'base64 of text',
        () => json(PATH, { image: Buffer.from('hello, world').toString('base64') }),
        400,
        'invalid_image',
      ],
      ['an image field that is a number', () => json(PATH, { image: 5 }), 400, 'invalid_request'],
      [
        'an unknown field',
        () => json(PATH, { image: line.toString('base64'), size: 3 }),
        400,
        'invalid_request',
      ],
      ['top_k of 0', () => json(PATH, { image: line.toString('base64'), top_k: 0 }), 400, 'invalid_request'],
      [
        'top_k twice',
        () =>
          predict(
            `${PATH}?top_k=1`,
            JSON.stringify({ image: line.toString('base64'), top_k: 1 }),
            'application/json',
          ),
        400,
        'invalid_request',
      ],
      ['an unknown query parameter', () => png(`${PATH}?topk=1`, line), 400, 'invalid_request'],
      ['a model without a pipeline', () => png('/v1/models/add-mul/predict', line), 400, 'no_pipeline'],
      ['text/plain', () => predict(PATH, 'x', 'text/plain'), 415, 'unsupported_media_type'],
      ['image/gif', () => predict(PATH, 'x', 'image/gif'), 415, 'unsupported_media_type'],
      ['no content type', () => predict(PATH, line), 415, 'unsupported_media_type'],
      ['an image over 4 MiB', () => png(PATH, new Uint8Array(4 * 1024 * 1024 + 1)), 413, 'payload_too_large'],
      [
        'a model that does not exist',
        () => png('/v1/models/nothing-here/predict', line),
        404,
        'model_not_found',
      ],
    ];

    it.each(cases)('%s', async (_name, send, status, code) => {
      const response = await send();
      const body = (await response.json()) as ErrorBody;

      expect({ status: response.status, code: body.code }).toEqual({ status, code });
      expect(body.error.length).toBeGreaterThan(10);
    });
  });

  it('needs the infer scope and a visible model', async () => {
    const readOnly = (await platform.admin.createKey({ tenantId, scopes: ['models:read'] })).key;
    const other = await platform.admin.createTenant({ name: 'owner' });
    const hidden = await platform.admin.registerModel(
      'hidden-direction',
      await readFile(pretrainedFile(DEMO_MODEL.file)),
      {
        visibility: 'private',
        ownerTenantId: other.tenantId,
        pipeline: textDirectionPipeline(),
      },
    );
    await platform.admin.setAlias('hidden-direction', 'prod', hidden.version);

    const forbidden = await predict(PATH, line, 'image/png', readOnly);
    const invisible = await png('/v1/models/hidden-direction/predict', line);
    const anonymous = await fetch(`${platform.url}${PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: new Uint8Array(line),
    });

    expect(forbidden.status).toBe(403);
    expect(invisible.status).toBe(404);
    expect(((await invisible.json()) as ErrorBody).code).toBe('model_not_found');
    expect(anonymous.status).toBe(401);
  });

  it('answers 503 orientation_unavailable when the orientation model declares no classification pipeline', async () => {
    const oriented = await platform.admin.registerModel(
      'oriented',
      await readFile(pretrainedFile(DEMO_MODEL.file)),
      {
        visibility: 'public',
        pipeline: { ...textDirectionPipeline(), orientation: { model: 'add-mul', upsideDownLabel: '180' } },
      },
    );
    await platform.admin.setAlias('oriented', 'prod', oriented.version);

    const response = await png('/v1/models/oriented/predict', line);
    const body = (await response.json()) as ErrorBody;

    expect({ status: response.status, code: body.code }).toEqual({
      status: 503,
      code: 'orientation_unavailable',
    });
    expect(body.error).toContain('model "add-mul" version 1 declares no classification pipeline');
  });

  it('meters each prediction of a resolved version: successes as requests, bad images as errors', async () => {
    const meterTenant = await platform.admin.createTenant({ name: 'metered', plan: 'enterprise' });
    const meterKey = (await platform.admin.createKey({ tenantId: meterTenant.tenantId })).key;
    const send = (body: Uint8Array) => predict(PATH, body, 'image/png', meterKey);

    const answers = [
      await send(line),
      await send(line),
      await send(Buffer.from('garbage')),
      await predict(PATH, 'x', 'text/plain', meterKey),
    ];
    const usage: UsageReport = await platform.client(meterKey).usage();

    expect(answers.map((r) => r.status)).toEqual([200, 200, 400, 415]);
    const row = usage.rows.find((r) => r.modelName === DEMO_MODEL.name);
    expect(row).toMatchObject({ requests: 2, errors: 1, inputBytes: 2 * line.length + 'garbage'.length });
    expect(row?.outputBytes).toBeGreaterThan(100);
    expect(row?.computeMs).toBeGreaterThan(0);
  });

  describe('registration', () => {
    const register = (name: string, pipeline: unknown) =>
      platform.admin.registerModel(name, fixtureModel('add-mul.onnx'), {
        visibility: 'public',
        pipeline: pipeline as ReturnType<typeof textDirectionPipeline>,
      });
    const codeOf = async (promise: Promise<unknown>) => {
      try {
        await promise;
        return 'accepted';
      } catch (error) {
        if (error instanceof InfergateApiError) return `${error.status} ${error.code}: ${error.message}`;
        throw error;
      }
    };

    it('refuses a pipeline that does not fit the model, naming the problem', async () => {
      const refusal = await codeOf(register('add-mul-image', textDirectionPipeline()));

      expect(refusal).toMatch(/^400 invalid_pipeline: .*the model has 2 inputs/);
    });

    it('refuses a malformed pipeline as invalid_request, naming the field', async () => {
      const refusal = await codeOf(
        register('add-mul-image', { ...textDirectionPipeline(), output: { type: 'ctc' } }),
      );

      expect(refusal).toMatch(/^400 invalid_request: .*pipeline\.output/);
    });

    it('refuses an orientation step naming a model that does not exist', async () => {
      const refusal = await codeOf(
        platform.admin.registerModel('direction-2', await readFile(pretrainedFile(DEMO_MODEL.file)), {
          visibility: 'public',
          pipeline: {
            ...textDirectionPipeline(),
            orientation: { model: 'no-such-model', upsideDownLabel: '180' },
          },
        }),
      );

      expect(refusal).toMatch(/^400 invalid_pipeline: .*"no-such-model" does not exist/);
    });

    it('keeps the pipeline on the version, with its defaults', async () => {
      const { versions } = await platform.admin.listVersions(DEMO_MODEL.name);

      expect(versions[0].pipeline).toMatchObject({
        input: { type: 'image', formats: ['png', 'jpeg', 'webp'], layout: 'NCHW', channels: 'RGB' },
        output: { type: 'classification', labels: ['0', '180'], topK: 2 },
      });
    });
  });
});
