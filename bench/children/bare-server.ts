/**
 * The platform's lower bound: a node:http server that only parses the Open Inference
 * Protocol JSON body, runs the model on onnxruntime-web (the same adapter as the Lambda
 * tier) and answers the outputs as JSON. No auth, no registry, no metering, no API Gateway
 * emulation. Prints `listening <port>` when ready.
 *
 *   node --import tsx bench/children/bare-server.ts <model.onnx>
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WasmRuntime } from '../../functions/adapters/onnx/wasm-runtime';
import type { Tensor } from '../../functions/core/tensors/tensor';

interface InferBody {
  readonly inputs: readonly { name: string; shape: number[]; data: number[] }[];
}

function isInferBody(value: unknown): value is InferBody {
  return typeof value === 'object' && value !== null && 'inputs' in value && Array.isArray(value.inputs);
}

async function main(): Promise<void> {
  const model = await (await WasmRuntime.create()).load(new Uint8Array(readFileSync(process.argv[2] ?? '')));
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (!isInferBody(body)) {
        response.writeHead(400).end();
        return;
      }
      const feeds: Record<string, Tensor> = {};
      for (const input of body.inputs)
        feeds[input.name] = { datatype: 'FP32', shape: input.shape, data: Float32Array.from(input.data) };
      model.run(feeds).then(
        (outputs) => {
          const json = Object.entries(outputs).map(([name, tensor]) => ({
            name,
            datatype: tensor.datatype,
            shape: tensor.shape,
            data: Array.from(tensor.data, Number),
          }));
          response
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ outputs: json }));
        },
        (error: unknown) => {
          response.writeHead(500).end(String(error));
        },
      );
    });
  });
  server.listen(0, '127.0.0.1', () => {
    const address: AddressInfo | string | null = server.address();
    if (address !== null && typeof address !== 'string') process.stdout.write(`listening ${address.port}\n`);
  });
  process.on('SIGINT', () => server.close(() => process.exit(0)));
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
