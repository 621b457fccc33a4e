import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TextPrediction, UsageReport } from '../../functions/api/views';
import { InfergateClient } from '../../client';
import { OCR_MODEL } from '../../models/pretrained-pipelines';
import { DEMO_MODEL } from '../../models/pretrained';
import { startLocalProcess, type LocalProcess } from '../support/local-process';
import { renderTextLine } from '../support/text-lines';

/** English lines of different lengths, with digits and punctuation; each read exactly. */
const LINES = [
  'The quick brown fox jumps over the lazy dog',
  'Hello World',
  'Invoice number 12345',
  'Meet me at 7:30 tomorrow',
  'Please call back after lunch',
  'Total amount due: 42.50 dollars',
  'The meeting moved to Friday',
  'Keep calm and carry on',
  'Open the window before noon',
  'Shipping address: 221B Baker Street',
  'Order 8841 has been delivered',
  'Return policy valid for 30 days',
  'Water boils at 100 degrees',
  'Room 404 is on the third floor',
  'Reading is a great way to learn',
  'Turn left at the next corner',
  'Bring two pens and a notebook',
  'The train leaves at 6:45 sharp',
  'Happy birthday to you',
  'Temperature today: 18 degrees',
  'Fresh bread every morning',
  'Sunset over the quiet harbor',
  'Press the green button to start',
  'Coffee costs 3 dollars',
];

/** Short lines, which the text-direction classifier (192 pixels wide) sees clearly upside down. */
const UPSIDE_DOWN = ['Hello World', 'Coffee costs 3 dollars', 'Spring is coming soon'];

/**
 * The OCR showcase as a user meets it: `npm start` (local/main.ts in a child process) seeds
 * the PP-OCRv4 recognizer as `ocr` with the text-direction classifier as its orientation
 * step; the demo tenant posts PNGs of text lines drawn by sharp in DejaVu Sans and gets each
 * text back exactly.
 */
describe('OCR showcase', () => {
  let home: string;
  let local: LocalProcess;
  let tenant: InfergateClient;

  const post = (png: Buffer) =>
    fetch(`${local.state.url}/v1/models/${OCR_MODEL.name}/predict`, {
      method: 'POST',
      headers: { authorization: `Bearer ${local.state.demoKey}`, 'content-type': 'image/png' },
      body: new Uint8Array(png),
    });

  beforeAll(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'infergate-ocr-'));
    local = await startLocalProcess(home, {}, 120_000);
    tenant = new InfergateClient({ url: local.state.url, apiKey: local.state.demoKey });
  }, 150_000);

  afterAll(async () => {
    await local?.stop();
    await rm(home, { recursive: true, force: true });
  });

  it(`reads ${LINES.length} rendered lines exactly`, async () => {
    const results: { expected: string; status: number; body: TextPrediction }[] = [];
    for (const expected of LINES) {
      const response = await post(await renderTextLine(expected));
      results.push({ expected, status: response.status, body: (await response.json()) as TextPrediction });
    }

    expect(new Set(LINES).size).toBeGreaterThanOrEqual(20);
    expect(results.map((r) => ({ status: r.status, text: r.body.text, rotated: r.body.rotated }))).toEqual(
      LINES.map((text) => ({ status: 200, text, rotated: false })),
    );
    for (const { body } of results) {
      expect(body.model_name).toBe(OCR_MODEL.name);
      expect(body.confidence).toBeGreaterThan(0.8);
      expect(body.confidence).toBeLessThanOrEqual(1);
    }
  }, 180_000);

  it('reads a line of 101 characters, whose scores reach the data plane within SageMaker’s 6 MB', async () => {
    // About 1,580 pixels wide at height 48: 198 steps of 6625 scores, 5.2 MB as binary
    // tensor data (29 MB as JSON), under the local endpoint's 6 MB response limit.
    const expected =
      'Please keep this receipt as proof of purchase for returns within thirty days of delivery to any store';

    const response = await post(await renderTextLine(expected));
    const body = (await response.json()) as TextPrediction;

    expect(expected).toHaveLength(101);
    expect({ status: response.status, text: body.text }).toEqual({ status: 200, text: expected });
  }, 30_000);

  it('turns upside-down lines before reading them', async () => {
    for (const expected of UPSIDE_DOWN) {
      const response = await post(await renderTextLine(expected, { upsideDown: true }));
      const body = (await response.json()) as TextPrediction;

      expect({ status: response.status, text: body.text, rotated: body.rotated }).toEqual({
        status: 200,
        text: expected,
        rotated: true,
      });
    }
  }, 60_000);

  it('answers the typed client with {text, confidence} from base64 JSON', async () => {
    const body = (await tenant.predict(
      OCR_MODEL.name,
      await renderTextLine('Lights off after midnight'),
    )) as TextPrediction;

    expect(body).toEqual({
      model_name: OCR_MODEL.name,
      model_version: '1',
      rotated: false,
      text: 'Lights off after midnight',
      confidence: expect.any(Number),
    });
  }, 30_000);

  it('refuses top_k, which is for classification, naming the problem', async () => {
    const response = await fetch(`${local.state.url}/v1/models/${OCR_MODEL.name}/predict?top_k=3`, {
      method: 'POST',
      headers: { authorization: `Bearer ${local.state.demoKey}`, 'content-type': 'image/png' },
      body: new Uint8Array(await renderTextLine('Hello World')),
    });
    const body = (await response.json()) as { code: string; error: string };

    expect({ status: response.status, code: body.code }).toEqual({ status: 400, code: 'invalid_request' });
    expect(body.error).toContain('top_k applies to classification');
  });

  it('meters the recognizer and its orientation step as a usage event each', async () => {
    const usage: UsageReport = await tenant.usage();
    const requests = (model: string) =>
      usage.rows.filter((row) => row.modelName === model).reduce((sum, row) => sum + row.requests, 0);

    // The lines, the long line, the upside-down lines and the typed client's line.
    const predictions = LINES.length + 1 + UPSIDE_DOWN.length + 1;
    expect(requests(OCR_MODEL.name)).toBe(predictions);
    expect(requests(DEMO_MODEL.name)).toBe(predictions);
  });
});
