/**
 * Captures everything the process writes (stdout, stderr and `console`) so that a suite can
 * check that no API key it generated was ever logged. Powertools' Logger writes JSON lines
 * through a `Console` on `process.stdout`/`process.stderr`, so patching the streams' `write`
 * catches it; the local API Gateway server logs through `console`. Captured output is
 * swallowed (set `INFERGATE_TRUST_ECHO=1` to see it).
 *
 * Set `POWERTOOLS_LOG_LEVEL=DEBUG` before the platform starts so that everything is logged.
 */

/** Anything shaped like an Infergate key, as secret scanners match it. */
export const KEY_PATTERN = /igk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}/g;

export interface SecretWatch {
  /** A key the suite generated (or was given): its full text and its secret part are looked for. */
  remember(key: string): void;
  /** Everything written since the watch started. */
  output(): string;
  /** Lines of output that hold a remembered key, its secret part, or anything shaped like a key. */
  leaks(): string[];
  /** The keys remembered so far. */
  remembered(): string[];
  /** Restores the streams and `console`. */
  stop(): void;
}

type Write = typeof process.stdout.write;
const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;

export function watchForSecrets(): SecretWatch {
  const chunks: string[] = [];
  const keys = new Set<string>();
  const echo = process.env.INFERGATE_TRUST_ECHO === '1';

  const patchStream = (stream: NodeJS.WriteStream): (() => void) => {
    const original: Write = stream.write;
    const patched = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
      chunks.push(chunk instanceof Uint8Array ? Buffer.from(chunk).toString('utf8') : String(chunk));
      const callback = rest.find((arg): arg is () => void => typeof arg === 'function');
      if (echo) return Reflect.apply(original, stream, [chunk, ...rest]) as boolean;
      callback?.();
      return true;
    };
    stream.write = patched as Write;
    return () => {
      stream.write = original;
    };
  };
  const restoreOut = patchStream(process.stdout);
  const restoreErr = patchStream(process.stderr);

  const originals = CONSOLE_METHODS.map((method) => [method, console[method]] as const);
  for (const method of CONSOLE_METHODS) {
    const original = console[method];
    console[method] = (...args: unknown[]) => {
      chunks.push(`${args.map((arg) => describe(arg)).join(' ')}\n`);
      if (echo) original(...args);
    };
  }

  return {
    remember(key) {
      keys.add(key);
    },
    output: () => chunks.join(''),
    leaks() {
      // igk_ + 16 hex digits + _ : the secret itself may contain `_`.
      const secrets = [...keys].flatMap((key) => [key, key.slice(21)]);
      return chunks
        .join('')
        .split('\n')
        .filter((line) => new RegExp(KEY_PATTERN.source).test(line) || secrets.some((s) => line.includes(s)));
    },
    remembered: () => [...keys],
    stop() {
      restoreOut();
      restoreErr();
      for (const [method, original] of originals) console[method] = original;
    },
  };
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Error) return `${value.name}: ${value.message}\n${value.stack ?? ''}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
