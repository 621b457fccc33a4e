import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { constants, crc32, deflateRawSync } from 'node:zlib';

/**
 * A minimal ZIP writer (deflate, no encryption, no ZIP64), enough to package a Lambda
 * asset exactly as large as Lambda will see it. CDK zips assets only when publishing, so
 * the build measures with this instead.
 *
 * @example
 * const zip = zipDirectory('cdk.out/asset.abc'); // Buffer
 */
/** 1980-01-01 00:00 in MS-DOS time (low word) and date (high word). */
const DOS_EPOCH = (0x0021 << 16) >>> 0;

export function zipDirectory(directory: string): Buffer {
  const local: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const relative of listFiles(directory)) {
    const data = readFileSync(path.join(directory, relative));
    const compressed = deflateRawSync(data, { level: constants.Z_BEST_COMPRESSION });
    const name = Buffer.from(relative.split(path.sep).join('/'), 'utf8');
    const checksum = crc32(data);

    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
    header.writeUInt16LE(0x0800, 6); // UTF-8 names
    header.writeUInt16LE(8, 8); // deflate
    header.writeUInt32LE(DOS_EPOCH, 10); // fixed time and date, so builds are reproducible
    header.writeUInt32LE(checksum, 14);
    header.writeUInt32LE(compressed.length, 18);
    header.writeUInt32LE(data.length, 22);
    header.writeUInt16LE(name.length, 26);
    header.writeUInt16LE(0, 28);
    local.push(header, name, compressed);

    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(0x0314, 4); // made by: Unix, 2.0
    entry.writeUInt16LE(20, 6);
    entry.writeUInt16LE(0x0800, 8);
    entry.writeUInt16LE(8, 10);
    entry.writeUInt32LE(DOS_EPOCH, 12);
    entry.writeUInt32LE(checksum, 16);
    entry.writeUInt32LE(compressed.length, 20);
    entry.writeUInt32LE(data.length, 24);
    entry.writeUInt16LE(name.length, 28);
    entry.writeUInt32LE((0o100644 << 16) >>> 0, 38); // -rw-r--r--
    entry.writeUInt32LE(offset, 42);
    central.push(entry, name);

    offset += header.length + name.length + compressed.length;
  }
  const directoryBytes = central.reduce((sum, part) => sum + part.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(central.length / 2, 8);
  end.writeUInt16LE(central.length / 2, 10);
  end.writeUInt32LE(directoryBytes, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...local, ...central, end]);
}

/** Total size of the files under `directory`, in bytes. */
export function directorySize(directory: string): number {
  return listFiles(directory).reduce(
    (sum, relative) => sum + statSync(path.join(directory, relative)).size,
    0,
  );
}

/** Files under `directory`, relative, sorted (so the archive is reproducible). */
export function listFiles(directory: string): string[] {
  const entries = readdirSync(directory, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(directory, path.join(entry.parentPath, entry.name)))
    .sort();
}
