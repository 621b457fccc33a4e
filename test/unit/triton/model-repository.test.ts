import { readFileSync } from 'node:fs';
import { buffer } from 'node:stream/consumers';
import { gunzipSync, gzipSync } from 'node:zlib';
import { extract, pack } from 'tar-stream';
import { InfergateError } from '../../../functions/core/errors';
import { readOnnxSchema } from '../../../functions/core/runtime/onnx-schema';
import { formatConfigPbtxt, tritonModelConfig } from '../../../functions/core/triton/model-config';
import { packTritonModel, unpackTritonModel } from '../../../functions/core/triton/model-repository';
import { fixtureModel } from '../../support/fixtures';

const onnx = new Uint8Array(readFileSync(fixtureModel('add-mul.onnx')));
const config = tritonModelConfig('add-mul', readOnnxSchema(onnx));

/** A .tar.gz of the given files (directories from a trailing slash). */
async function tarGz(files: Readonly<Record<string, string | Uint8Array>>): Promise<Uint8Array> {
  const archive = pack();
  const done = buffer(archive);
  for (const [name, content] of Object.entries(files)) {
    if (name.endsWith('/')) archive.entry({ name, type: 'directory' });
    else archive.entry({ name }, Buffer.from(content));
  }
  archive.finalize();
  return new Uint8Array(gzipSync(await done));
}

async function entriesOf(bytes: Uint8Array): Promise<string[]> {
  const names: string[] = [];
  const reader = extract();
  const done = (async () => {
    for await (const entry of reader) {
      names.push(`${entry.header.type ?? '?'} ${entry.header.name} ${entry.header.mode?.toString(8) ?? ''}`);
      entry.resume();
    }
  })();
  reader.end(gunzipSync(bytes));
  await done;
  return names;
}

async function refusal(bytes: Uint8Array): Promise<InfergateError> {
  try {
    await unpackTritonModel(bytes);
  } catch (error) {
    if (error instanceof InfergateError) return error;
    throw error;
  }
  throw new Error('expected unpackTritonModel to refuse the archive');
}

describe('Triton model repository archives', () => {
  it('packs the layout SageMaker and Triton expect', async () => {
    const { bytes } = await packTritonModel(config, onnx);

    expect(await entriesOf(bytes)).toEqual([
      'directory add-mul/ 755',
      'file add-mul/config.pbtxt 644',
      'directory add-mul/1/ 755',
      'file add-mul/1/model.onnx 644',
    ]);
  });

  it('is deterministic: the same model and config give the same bytes and SHA-256', async () => {
    const first = await packTritonModel(config, onnx);
    const second = await packTritonModel(config, onnx);
    const other = await packTritonModel({ ...config, maxBatchSize: 8 }, onnx);

    expect(second.sha256).toBe(first.sha256);
    expect(Buffer.compare(Buffer.from(second.bytes), Buffer.from(first.bytes))).toBe(0);
    expect(first.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(other.sha256).not.toBe(first.sha256);
  });

  it('round-trips: unpacking gives back the name, batch bound, config and ONNX bytes', async () => {
    const { bytes } = await packTritonModel(config, onnx);

    const unpacked = await unpackTritonModel(bytes);

    expect(unpacked.name).toBe('add-mul');
    expect(unpacked.maxBatchSize).toBe(16);
    expect(unpacked.config).toBe(formatConfigPbtxt(config));
    expect(Buffer.compare(Buffer.from(unpacked.onnx), Buffer.from(onnx))).toBe(0);
  });

  it('refuses archives that are not such a repository, saying why', async () => {
    const text = formatConfigPbtxt(config);
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array([1, 2, 3]), /not a gzip archive/],
      [new Uint8Array(gzipSync(Buffer.from('not a tar'))), /not a tar archive|exactly one/],
      [await tarGz({ '../escape/config.pbtxt': text }), /outside the repository/],
      [await tarGz({ 'add-mul/config.pbtxt': text }), /has no add-mul\/1\/model\.onnx/],
      [
        await tarGz({
          'add-mul/config.pbtxt': text,
          'add-mul/1/model.onnx': onnx,
          'add-mul/1/extra.bin': 'x',
        }),
        /unexpected files: add-mul\/1\/extra\.bin/,
      ],
      [
        await tarGz({ 'other/config.pbtxt': text, 'other/1/model.onnx': onnx }),
        /names model "add-mul" but its directory is "other"/,
      ],
      [
        await tarGz({ 'a/config.pbtxt': text, 'b/config.pbtxt': text }),
        /exactly one <model>\/config\.pbtxt, found 2/,
      ],
    ];

    for (const [bytes, reason] of cases) {
      const error = await refusal(bytes);
      expect(error.status).toBe(502);
      expect(error.code).toBe('model_load_failed');
      expect(error.message).toMatch(reason);
    }
  });

  it('bounds what it unpacks', async () => {
    const { bytes } = await packTritonModel(config, onnx);

    await expect(unpackTritonModel(bytes, 1024)).rejects.toThrow(/within 1024 bytes/);
  });
});
