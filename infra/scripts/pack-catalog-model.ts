/**
 * Packs the ONNX model of a component-based GPU catalog entry as a Triton `model.tar.gz`:
 * the local bundling of its CDK asset runs this at synth, so that one `cdk deploy` ships
 * the model data.
 *
 *   tsx infra/scripts/pack-catalog-model.ts <onnx file> <sha256> <triton name> <out file>
 */
import { writeFileSync } from 'node:fs';
import { packCatalogArtifact } from '../../models/catalog-artifact';

async function main(argv: readonly string[]): Promise<void> {
  const [file, sha256, tritonName, out] = argv;
  if (file === undefined || sha256 === undefined || tritonName === undefined || out === undefined) {
    throw new Error('usage: pack-catalog-model <onnx file> <sha256> <triton name> <out file>');
  }
  const packed = await packCatalogArtifact({ file: () => file, sha256, tritonName });
  writeFileSync(out, packed.bytes);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
