/**
 * Recognises files that are often uploaded by mistake instead of an ONNX model, by their
 * first bytes, so that the refusal can say what the file is. Only consulted for a file that
 * did not parse as a model: ONNX itself has no magic number.
 */

interface Signature {
  readonly matches: (bytes: Uint8Array) => boolean;
  readonly kind: string;
}

const startsWith =
  (...prefix: number[]) =>
  (bytes: Uint8Array): boolean =>
    prefix.every((byte, i) => bytes[i] === byte);
const ascii = (text: string): number[] => Array.from(text, (c) => c.charCodeAt(0));
const asciiAt =
  (offset: number, text: string) =>
  (bytes: Uint8Array): boolean =>
    ascii(text).every((byte, i) => bytes[offset + i] === byte);

const SIGNATURES: readonly Signature[] = [
  { matches: startsWith(0x89, ...ascii('PNG\r\n'), 0x1a, 0x0a), kind: 'a PNG image' },
  { matches: startsWith(0xff, 0xd8, 0xff), kind: 'a JPEG image' },
  { matches: asciiAt(0, 'GIF8'), kind: 'a GIF image' },
  { matches: (b) => asciiAt(0, 'RIFF')(b) && asciiAt(8, 'WEBP')(b), kind: 'a WebP image' },
  { matches: asciiAt(0, '%PDF-'), kind: 'a PDF document' },
  {
    matches: startsWith(0x50, 0x4b, 0x03, 0x04),
    kind: 'a ZIP archive (PyTorch .pt/.pth and Keras .keras files are ZIP archives: export the model to ONNX first)',
  },
  { matches: startsWith(0x1f, 0x8b), kind: 'a gzip file (decompress it first)' },
  {
    matches: startsWith(0x89, ...ascii('HDF\r\n'), 0x1a, 0x0a),
    kind: 'an HDF5 file (a Keras .h5 model? convert it with tf2onnx)',
  },
  { matches: asciiAt(4, 'TFL3'), kind: 'a TensorFlow Lite model (convert it to ONNX, e.g. with tf2onnx)' },
  {
    matches: (b) => b[0] === 0x80 && (b[1] ?? 0) >= 2 && (b[1] ?? 0) <= 5,
    kind: 'a Python pickle (a PyTorch or scikit-learn checkpoint? export the model to ONNX first)',
  },
  {
    matches: isSafetensors,
    kind: 'a safetensors file (weights only, without the graph: export the model to ONNX)',
  },
];

/**
 * What a file that is not an ONNX model looks like it is, e.g. `a PNG image` or
 * `a text file`, or undefined when it is not recognised.
 *
 * @example
 * describeNonOnnx(await readFile('cat.png')); // 'a PNG image'
 */
export function describeNonOnnx(bytes: Uint8Array): string | undefined {
  const signature = SIGNATURES.find((candidate) => candidate.matches(bytes));
  if (signature !== undefined) return signature.kind;
  return textKind(bytes);
}

/** safetensors: an 8-byte little-endian header length, then a JSON header. */
function isSafetensors(bytes: Uint8Array): boolean {
  if (bytes.byteLength < 10) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  return headerLength > 0n && headerLength < BigInt(bytes.byteLength) && bytes[8] === 0x7b;
}

/** A file whose first kilobyte is printable UTF-8 text (tabs and line breaks allowed). */
function textKind(bytes: Uint8Array): string | undefined {
  const head = bytes.subarray(0, 1024);
  let text: string;
  try {
    // A multi-byte character cut at the end of the window is not a reason to say "binary".
    text = new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, lastCharBoundary(head)));
  } catch {
    return undefined;
  }
  if (text.length === 0 || [...text].some(isControl)) return undefined;
  const start = text.trimStart()[0];
  return start === '{' || start === '[' ? 'a JSON file' : 'a text file';
}

/** A control character other than tab, line feed and carriage return. */
function isControl(char: string): boolean {
  const code = char.charCodeAt(0);
  return (code < 0x20 && char !== '\t' && char !== '\n' && char !== '\r') || code === 0x7f;
}

/** The length of `bytes` without a trailing incomplete UTF-8 sequence. */
function lastCharBoundary(bytes: Uint8Array): number {
  for (let i = bytes.length - 1; i >= Math.max(0, bytes.length - 4); i--) {
    const byte = bytes[i] ?? 0;
    if (byte < 0x80) return bytes.length;
    if (byte >= 0xc0) {
      const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
      return bytes.length - i >= needed ? bytes.length : i;
    }
  }
  return bytes.length;
}
