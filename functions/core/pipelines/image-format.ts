import type { ImageFormat } from '../../api/pipeline-schemas';

/** What the first bytes of a file say it is. */
export type SniffedImage =
  | { readonly kind: 'supported'; readonly format: ImageFormat }
  /** An image format the platform never decodes (GIF, SVG, TIFF, ...), named. */
  | { readonly kind: 'other-image'; readonly format: string }
  | { readonly kind: 'unknown' };

const startsWith = (bytes: Uint8Array, signature: readonly number[], at = 0): boolean =>
  bytes.length >= at + signature.length && signature.every((byte, i) => bytes[at + i] === byte);

const ascii = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));

/** Signatures of image formats that are refused as `unsupported_image_type`, not `invalid_image`. */
const OTHER_IMAGES: readonly {
  readonly format: string;
  readonly signature: readonly number[];
  readonly at?: number;
}[] = [
  { format: 'gif', signature: ascii('GIF8') },
  { format: 'bmp', signature: ascii('BM') },
  { format: 'tiff', signature: [0x49, 0x49, 0x2a, 0x00] },
  { format: 'tiff', signature: [0x4d, 0x4d, 0x00, 0x2a] },
  { format: 'ico', signature: [0x00, 0x00, 0x01, 0x00] },
  { format: 'heif/avif', signature: ascii('ftyp'), at: 4 },
  { format: 'jpeg 2000', signature: [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20] },
  { format: 'jpeg xl', signature: [0xff, 0x0a] },
  { format: 'pdf', signature: ascii('%PDF') },
  { format: 'psd', signature: ascii('8BPS') },
];

/**
 * Identifies an image by its signature (magic bytes), never by a declared content type: only
 * PNG, JPEG and WebP are ever handed to the decoder, so no other decoder (SVG, PDF, ...) is
 * reachable from a request.
 *
 * @example
 * sniffImage(pngBytes); // { kind: 'supported', format: 'png' }
 */
export function sniffImage(bytes: Uint8Array): SniffedImage {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
    return { kind: 'supported', format: 'png' };
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return { kind: 'supported', format: 'jpeg' };
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) {
    return { kind: 'supported', format: 'webp' };
  }
  for (const other of OTHER_IMAGES) {
    if (startsWith(bytes, other.signature, other.at)) return { kind: 'other-image', format: other.format };
  }
  if (looksLikeSvg(bytes)) return { kind: 'other-image', format: 'svg' };
  return { kind: 'unknown' };
}

/** Text that starts (after a BOM and blanks) with `<svg` or an XML declaration. */
function looksLikeSvg(bytes: Uint8Array): boolean {
  const head = new TextDecoder('utf-8', { fatal: false })
    .decode(bytes.subarray(0, 256))
    .replace(/^\uFEFF/, '');
  return /^\s*<(\?xml|svg|!DOCTYPE svg)/i.test(head);
}

/**
 * The size an image's header declares, read without a decoder (undefined when the header is
 * cut short or not found): PNG's IHDR, JPEG's first SOF segment, WebP's VP8 frame header.
 * Used to tell an image without pixels (`empty_image`) from a corrupt one; VP8L and VP8X
 * store sizes minus one and cannot declare 0.
 *
 * @example
 * declaredSize(png, 'png'); // { width: 640, height: 48 }
 */
export function declaredSize(
  bytes: Uint8Array,
  format: ImageFormat,
): { width: number; height: number } | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (format) {
    case 'png':
      return bytes.length >= 24 && startsWith(bytes, ascii('IHDR'), 12)
        ? { width: view.getUint32(16), height: view.getUint32(20) }
        : undefined;
    case 'webp':
      return bytes.length >= 30 && startsWith(bytes, ascii('VP8 '), 12)
        ? { width: view.getUint16(26, true) & 0x3fff, height: view.getUint16(28, true) & 0x3fff }
        : undefined;
    case 'jpeg':
      return jpegFrameSize(bytes, view);
  }
}

/** Start-of-frame markers: C0-CF but DHT (C4), JPG (C8) and DAC (CC). */
const isStartOfFrame = (marker: number): boolean =>
  marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;

function jpegFrameSize(bytes: Uint8Array, view: DataView): { width: number; height: number } | undefined {
  let at = 2;
  while (at + 4 <= bytes.length && bytes[at] === 0xff) {
    const marker = bytes[at + 1];
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === 0xda || marker === 0xd9) return undefined; // scan data or end: no frame header before it
    const length = view.getUint16(at + 2);
    if (isStartOfFrame(marker)) {
      return at + 9 <= bytes.length
        ? { height: view.getUint16(at + 5), width: view.getUint16(at + 7) }
        : undefined;
    }
    at += 2 + length;
  }
  return undefined;
}
