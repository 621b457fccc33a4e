import { createHash } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { extract, pack } from 'tar-stream';
import { InfergateError } from '../errors';
import { formatConfigPbtxt, readConfigHeader, type TritonModelConfig } from './model-config';

/**
 * A Triton model repository holding one ONNX model, packed as SageMaker expects a
 * `model.tar.gz`: `<name>/config.pbtxt` and `<name>/1/model.onnx`. Packing is
 * deterministic (fixed times, owners and modes), so the same model and configuration
 * always give the same bytes and the same SHA-256: the archive can be stored under its
 * content address.
 */

/** What {@link packTritonModel} produced. */
export interface PackedTritonModel {
  readonly bytes: Uint8Array;
  /** Lowercase hex SHA-256 of `bytes`. */
  readonly sha256: string;
}

/** What {@link unpackTritonModel} read back. */
export interface UnpackedTritonModel {
  readonly name: string;
  readonly maxBatchSize: number;
  readonly config: string;
  readonly onnx: Uint8Array;
}

/** Version directory of the one model version a repository holds. */
export const TRITON_MODEL_VERSION = '1';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);
const EPOCH = new Date(0);

/**
 * Packs an ONNX model and its configuration into a `model.tar.gz`.
 *
 * @example
 * const config = tritonModelConfig('digits', readOnnxSchema(onnx));
 * const { bytes, sha256 } = await packTritonModel(config, onnx);
 */
export async function packTritonModel(
  config: TritonModelConfig,
  onnx: Uint8Array,
): Promise<PackedTritonModel> {
  const archive = pack();
  const directory = (name: string) =>
    archive.entry({
      name,
      type: 'directory',
      mode: 0o755,
      mtime: EPOCH,
      uid: 0,
      gid: 0,
      uname: '',
      gname: '',
    });
  const file = (name: string, bytes: Buffer) =>
    archive.entry(
      {
        name,
        type: 'file',
        size: bytes.byteLength,
        mode: 0o644,
        mtime: EPOCH,
        uid: 0,
        gid: 0,
        uname: '',
        gname: '',
      },
      bytes,
    );
  const tarred = buffer(archive);
  directory(`${config.name}/`);
  file(`${config.name}/config.pbtxt`, Buffer.from(formatConfigPbtxt(config), 'utf8'));
  directory(`${config.name}/${TRITON_MODEL_VERSION}/`);
  file(
    `${config.name}/${TRITON_MODEL_VERSION}/model.onnx`,
    Buffer.from(onnx.buffer, onnx.byteOffset, onnx.byteLength),
  );
  archive.finalize();
  const bytes = new Uint8Array(await gzipAsync(await tarred, { level: 9 }));
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/**
 * Reads a `model.tar.gz` made by {@link packTritonModel}: the model's name, its batch
 * bound, its configuration and its ONNX bytes. Throws `InfergateError` 502
 * `model_load_failed` for an archive that is not such a repository (not gzip, other
 * files, paths outside the model's directory, more than `maxBytes` unpacked).
 */
export async function unpackTritonModel(
  bytes: Uint8Array,
  maxBytes = 1024 ** 3,
): Promise<UnpackedTritonModel> {
  let tarred: Buffer;
  try {
    tarred = await gunzipAsync(bytes, { maxOutputLength: maxBytes });
  } catch (error) {
    throw invalid(`it is not a gzip archive within ${maxBytes} bytes (${reason(error)})`, error);
  }
  const files = new Map<string, Buffer>();
  const reader = extract();
  const done = (async () => {
    for await (const entry of reader) {
      const { name, type } = entry.header;
      if (name.startsWith('/') || name.split('/').includes('..')) {
        entry.resume();
        throw invalid(`it holds a path outside the repository: ${name}`);
      }
      if (type === 'directory') {
        entry.resume();
        continue;
      }
      if (type !== 'file') {
        entry.resume();
        throw invalid(`it holds a ${type ?? 'special'} entry: ${name}`);
      }
      files.set(name, await buffer(entry));
    }
  })();
  reader.end(tarred);
  try {
    await done;
  } catch (error) {
    if (error instanceof InfergateError) throw error;
    throw invalid(`it is not a tar archive (${reason(error)})`, error);
  }
  const configs = [...files.keys()].filter((name) => /^[^/]+\/config\.pbtxt$/.test(name));
  if (configs.length !== 1) {
    throw invalid(`it must hold exactly one <model>/config.pbtxt, found ${configs.length}`);
  }
  const [configPath = ''] = configs;
  const directory = configPath.slice(0, configPath.indexOf('/'));
  const onnxPath = `${directory}/${TRITON_MODEL_VERSION}/model.onnx`;
  const onnx = files.get(onnxPath);
  if (onnx === undefined) throw invalid(`it has no ${onnxPath}`);
  const extra = [...files.keys()].filter((name) => name !== configPath && name !== onnxPath);
  if (extra.length > 0) throw invalid(`it holds unexpected files: ${extra.join(', ')}`);
  const config = (files.get(configPath) ?? Buffer.alloc(0)).toString('utf8');
  let header: { name: string; maxBatchSize: number };
  try {
    header = readConfigHeader(config);
  } catch (error) {
    throw invalid(reason(error), error);
  }
  if (header.name !== directory) {
    throw invalid(`config.pbtxt names model "${header.name}" but its directory is "${directory}"`);
  }
  return { name: header.name, maxBatchSize: header.maxBatchSize, config, onnx: new Uint8Array(onnx) };
}

function invalid(why: string, cause?: unknown): InfergateError {
  return new InfergateError(502, 'model_load_failed', `the model repository archive is invalid: ${why}`, {
    cause,
  });
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
