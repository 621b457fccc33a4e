import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { crc32, inflateRawSync } from 'node:zlib';
import { directorySize, zipDirectory } from '../../infra/zip';

/** Reads the entries of a ZIP through its central directory, as unzip does. */
function unzip(zip: Buffer): Map<string, Buffer> {
  const end = zip.length - 22;
  expect(zip.readUInt32LE(end)).toBe(0x06054b50);
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    expect(zip.readUInt32LE(at)).toBe(0x02014b50);
    const crc = zip.readUInt32LE(at + 16);
    const compressedSize = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const localOffset = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    const localNameLength = zip.readUInt16LE(localOffset + 26);
    const start = localOffset + 30 + localNameLength;
    const data = inflateRawSync(zip.subarray(start, start + compressedSize));
    expect(crc32(data)).toBe(crc);
    entries.set(name, data);
    at += 46 + nameLength;
  }
  return entries;
}

describe('zipDirectory', () => {
  it('packs every file under a directory so that it unpacks byte for byte', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'infergate-zip-'));
    try {
      mkdirSync(path.join(dir, 'nested'));
      writeFileSync(path.join(dir, 'index.mjs'), 'export const handler = async () => 42;\n'.repeat(100));
      writeFileSync(path.join(dir, 'nested', 'data.bin'), Buffer.from([0, 1, 2, 255]));

      const zip = zipDirectory(dir);

      const entries = unzip(zip);
      expect([...entries.keys()]).toEqual(['index.mjs', 'nested/data.bin']);
      expect(entries.get('nested/data.bin')).toEqual(Buffer.from([0, 1, 2, 255]));
      expect(zip.length).toBeLessThan(directorySize(dir));
      expect(zipDirectory(dir)).toEqual(zip);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
