import { onnx } from 'onnx-proto';

/**
 * The `metadata_props` of an ONNX model as a record (later duplicates win). Throws when
 * the bytes are not a protobuf.
 *
 * @example
 * readModelMetadata(bytes)['training.seed']; // '42'
 */
export function readModelMetadata(bytes: Uint8Array): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const entry of onnx.ModelProto.decode(bytes).metadataProps ?? []) {
    metadata[entry.key ?? ''] = entry.value ?? '';
  }
  return metadata;
}
