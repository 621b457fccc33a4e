import { type LoadFailure, ModelLoadError } from '../../core/runtime/model-runtime';

/**
 * How onnxruntime (web and node: the same C++ core) words the reasons it refuses a model,
 * as of 1.30. Matched on the text because the JS API gives only a message; anything not
 * recognised is `unknown` and keeps the runtime's own words.
 */
const PATTERNS: readonly {
  readonly pattern: RegExp;
  readonly failure: (match: RegExpMatchArray) => LoadFailure;
}[] = [
  {
    // An operator no schema knows, in a custom or in the default domain.
    pattern: /Fatal error: ([\w.-]*):(\w+)\(-?\d+\) is not a registered function\/op/,
    failure: (m) => operator(m[1] ?? '', m[2] ?? ''),
  },
  {
    pattern: /No Op registered for (\w+) with domain_version of (\d+)/,
    failure: (m) => ({ ...operator('', m[1] ?? ''), version: Number(m[2]) }),
  },
  {
    // A known operator without a kernel for this version or these types on the provider.
    pattern: /Could not find an implementation for (\w+)\((\d+)\) node/,
    failure: (m) => ({ ...operator('', m[1] ?? ''), version: Number(m[2]) }),
  },
  {
    pattern: /Opset (\d+) is under development[\s\S]*?support for domain (\S+) is till opset (\d+)/,
    failure: (m) => ({
      kind: 'unsupported_opset',
      opset: Number(m[1]),
      domain: (m[2] ?? '').replace(/\.$/, ''),
      supported: Number(m[3]),
    }),
  },
  {
    pattern: /Unsupported model IR version: (\d+), max supported IR version: (\d+)/,
    failure: (m) => ({ kind: 'unsupported_ir_version', irVersion: Number(m[1]), supported: Number(m[2]) }),
  },
  {
    pattern: /bad_alloc|bad allocation|out of memory|Out of memory|Cannot enlarge memory/,
    failure: () => ({ kind: 'out_of_memory' }),
  },
  {
    pattern:
      /protobuf parsing failed|[Ii]nvalid model|No opset import for domain|ShapeInferenceError|TypeInferenceError|Type Error|Duplicate definition/,
    failure: () => ({ kind: 'invalid_model' }),
  },
];

function operator(domain: string, op: string): LoadFailure {
  const name = domain === '' || domain === 'ai.onnx' ? op : `${domain}:${op}`;
  return { kind: 'unsupported_operator', operator: name };
}

/** Reads why onnxruntime refused to create a session from its error. */
export function classifyLoadFailure(message: string): LoadFailure {
  for (const { pattern, failure } of PATTERNS) {
    const match = message.match(pattern);
    if (match !== null) return failure(match);
  }
  return { kind: 'unknown' };
}

/**
 * The error of a failed `InferenceSession.create`, classified, with onnxruntime's wrapper
 * text, source locations and C++ signatures removed from the message.
 */
export function toModelLoadError(error: unknown): ModelLoadError {
  const message = error instanceof Error ? error.message : String(error);
  return new ModelLoadError(classifyLoadFailure(message), cleanOrtMessage(message), { cause: error });
}

/** Drops onnxruntime's wrapper text, source locations and assertion text. */
export function cleanOrtMessage(message: string): string {
  return message
    .replace(/(?:Can't create a session|failed to call OrtRun\(\))\. ERROR_CODE: \d+, ERROR_MESSAGE: /, '')
    .replace(/\s*\/\S+\.(?:h|cc|cpp):\d+ [^\n]*? was false\./g, '')
    .replace(/\/\S+\.(?:h|cc|cpp):\d+ [^(\n]*\([^)\n]*\)\s*/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}
