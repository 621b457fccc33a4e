import { decodeBase64, MAX_IMAGE_BYTES } from '../../../functions/http/image-body';
import { InfergateError } from '../../../functions/core/errors';

const codeOf = (text: string): string | undefined => {
  try {
    decodeBase64(text);
    return undefined;
  } catch (error) {
    if (error instanceof InfergateError) return error.code;
    throw error;
  }
};

describe('decodeBase64', () => {
  const bytes = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0xfb, 0xff);
  const standard = Buffer.from(bytes).toString('base64');

  it('decodes standard and URL-safe base64, padded or not, wrapped or not', () => {
    for (const text of [
      standard,
      standard.replace(/=+$/, ''),
      Buffer.from(bytes).toString('base64url'),
      `${standard.slice(0, 4)}\r\n${standard.slice(4)}`,
      `data:image/png;base64,${standard}`,
    ]) {
      expect([...decodeBase64(text)]).toEqual([...bytes]);
    }
  });

  it.each([
    ['a character outside the alphabet', 'iVBO!w=='],
    ['a length of 4n+1', 'iVBOR'],
    ['padding in the middle', 'iV==RG=='],
    ['too much padding', 'iVBORw==='],
    ['mixed alphabets', 'ab+_'],
    ['a data URL of another kind', 'data:text/plain,hello'],
  ])('refuses %s as invalid_base64', (_name, text) => {
    expect(codeOf(text)).toBe('invalid_base64');
  });

  it('refuses an empty image as empty_image', () => {
    expect(codeOf('')).toBe('empty_image');
    expect(codeOf('data:image/png;base64,')).toBe('empty_image');
  });

  it('refuses more than the image limit before decoding it', () => {
    expect(codeOf('A'.repeat(Math.ceil(((MAX_IMAGE_BYTES + 8) * 4) / 3 / 4) * 4))).toBe('payload_too_large');
  });
});
