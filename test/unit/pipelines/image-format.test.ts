import { sniffImage } from '../../../functions/core/pipelines/image-format';

const bytes = (...parts: (string | number[])[]): Uint8Array =>
  Buffer.concat(
    parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : Buffer.from(part))),
  );

describe('sniffImage', () => {
  it.each([
    ['png', bytes([0x89], 'PNG\r\n\x1a\n', [0, 0, 0, 13])],
    ['jpeg', bytes([0xff, 0xd8, 0xff, 0xe0])],
    ['webp', bytes('RIFF', [0x24, 0, 0, 0], 'WEBPVP8 ')],
  ] as const)('recognizes %s by its signature', (format, data) => {
    expect(sniffImage(data)).toEqual({ kind: 'supported', format });
  });

  it.each([
    ['gif', bytes('GIF89a')],
    ['bmp', bytes('BM', [0, 0])],
    ['tiff', bytes([0x49, 0x49, 0x2a, 0x00])],
    ['heif/avif', bytes([0, 0, 0, 0x1c], 'ftypavif')],
    ['pdf', bytes('%PDF-1.7')],
    ['svg', Buffer.from('\uFEFF  <svg xmlns="http://www.w3.org/2000/svg"/>', 'utf8')],
    ['svg', bytes('<?xml version="1.0"?><svg/>')],
  ] as const)('names other image formats (%s) so they are refused as unsupported', (format, data) => {
    expect(sniffImage(data)).toEqual({ kind: 'other-image', format });
  });

  it.each([
    ['text', bytes('hello world')],
    ['JSON', bytes('{"image": "x"}')],
    ['a RIFF that is not WebP', bytes('RIFF', [0, 0, 0, 0], 'WAVE')],
    ['a PNG signature cut short', bytes([0x89], 'PNG')],
    ['nothing', bytes()],
  ] as const)('knows nothing of %s', (_name, data) => {
    expect(sniffImage(data)).toEqual({ kind: 'unknown' });
  });
});
