import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeNonOnnx } from '../../../functions/core/validation';
import { fixtureModel } from '../../support/fixtures';

const bytes = (...values: number[]) => Uint8Array.from(values);
const ascii = (text: string) => new TextEncoder().encode(text);

describe('describeNonOnnx', () => {
  it.each<[string, Uint8Array, string]>([
    ['a PNG', readFileSync(fixtureModel(join('rejected', 'image.png'))), 'a PNG image'],
    ['a JPEG', bytes(0xff, 0xd8, 0xff, 0xe0, 0, 0x10), 'a JPEG image'],
    ['a GIF', ascii('GIF89a\x01\x00'), 'a GIF image'],
    ['a WebP', ascii('RIFF\x10\x00\x00\x00WEBPVP8 '), 'a WebP image'],
    ['a PDF', ascii('%PDF-1.7\n'), 'a PDF document'],
    ['a ZIP (PyTorch checkpoint)', bytes(0x50, 0x4b, 0x03, 0x04, 0x14), 'a ZIP archive'],
    ['a gzip file', bytes(0x1f, 0x8b, 0x08, 0x00), 'a gzip file'],
    ['an HDF5 file', bytes(0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a), 'an HDF5 file'],
    ['a TFLite model', ascii('\x1c\x00\x00\x00TFL3\x00\x00'), 'a TensorFlow Lite model'],
    ['a pickle', bytes(0x80, 0x04, 0x95, 0x10), 'a Python pickle'],
    [
      'safetensors',
      new Uint8Array([...bytes(2, 0, 0, 0, 0, 0, 0, 0), ...ascii('{}'), 0, 0]),
      'a safetensors file',
    ],
    ['text', readFileSync(fixtureModel(join('rejected', 'notes.txt'))), 'a text file'],
    ['text with a character cut at 1 KB', ascii(`${'a'.repeat(1023)}é and more`), 'a text file'],
    ['JSON', ascii('  {"weights": [1, 2]}'), 'a JSON file'],
  ])('recognises %s', (_label, file, kind) => {
    expect(describeNonOnnx(file)).toContain(kind);
  });

  it.each<[string, Uint8Array]>([
    ['an ONNX model', readFileSync(fixtureModel('add-mul.onnx'))],
    ['an ONNX model with every datatype', readFileSync(fixtureModel('identity-all-types.onnx'))],
    ['random bytes', bytes(0x12, 0x00, 0xfe, 0x07, 0x99)],
    ['nothing', new Uint8Array(0)],
  ])('says nothing of %s', (_label, file) => {
    expect(describeNonOnnx(file)).toBeUndefined();
  });
});
