import { createHash } from 'node:crypto';
import { InfergateError } from '../../../functions/core/errors';
import type { LoadedModel, ModelRuntime } from '../../../functions/core/runtime/model-runtime';
import { SessionCache } from '../../../functions/core/runtime/session-cache';
import type { TensorSpec } from '../../../functions/core/tensors/datatypes';
import type { Tensor } from '../../../functions/core/tensors/tensor';

/**
 * A real, small runtime: a "model" is its artifact text, its size is its byte length, and
 * running it echoes the text. It records loads and releases so the tests can count them.
 */
class EchoRuntime implements ModelRuntime {
  public readonly loaded: string[] = [];
  public readonly released: string[] = [];
  /** Loads that will fail, in order. */
  public failures = 0;
  /** When set, loads wait for it. */
  public gate: Promise<void> | undefined;

  public async load(bytes: Uint8Array): Promise<LoadedModel> {
    const text = new TextDecoder().decode(bytes);
    this.loaded.push(text);
    await this.gate;
    if (this.failures > 0) {
      this.failures--;
      throw new Error(`cannot parse ${text}`);
    }
    return new EchoModel(text, bytes.byteLength, this.released);
  }
}

class EchoModel implements LoadedModel {
  public readonly inputs: readonly TensorSpec[] = [];
  public readonly outputs: readonly TensorSpec[] = [{ name: 'text', datatype: 'BYTES', shape: [] }];
  private released = false;

  public constructor(
    private readonly text: string,
    public readonly sizeBytes: number,
    private readonly releases: string[],
  ) {}

  public async run(): Promise<Record<string, Tensor>> {
    if (this.released) throw new Error(`${this.text} was released`);
    return { text: { datatype: 'BYTES', shape: [], data: [this.text] } };
  }

  public async release(): Promise<void> {
    this.released = true;
    this.releases.push(this.text);
  }
}

interface Artifact {
  readonly sha256: string;
  readonly bytes: Uint8Array;
}

/** An artifact of `size` bytes whose text starts with `name`. */
function artifact(name: string, size = 100): Artifact {
  const bytes = new TextEncoder().encode(name.padEnd(size, '.'));
  return { sha256: createHash('sha256').update(bytes).digest('hex'), bytes };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/** Runs the echo model of `item` through the cache and returns its text. */
async function echo(
  cache: SessionCache,
  item: Artifact,
  loader = async (): Promise<Uint8Array> => item.bytes,
): Promise<string> {
  const outputs = await cache.use(item.sha256, loader, (model) => model.run({}));
  const text = outputs.text?.data[0];
  if (typeof text !== 'string') throw new Error('the echo model returned no text');
  return text;
}

async function rejectionOf(promise: Promise<unknown>): Promise<InfergateError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof InfergateError) return error;
    throw error;
  }
  throw new Error('expected an InfergateError');
}

describe('SessionCache', () => {
  it('loads a model once and reuses it', async () => {
    const runtime = new EchoRuntime();
    const cache = new SessionCache({ runtime, maxBytes: 1000 });
    const a = artifact('a');

    await echo(cache, a);
    const second = await echo(cache, a);

    expect(second).toBe(new TextDecoder().decode(a.bytes));
    expect(runtime.loaded).toHaveLength(1);
    expect(cache.stats()).toEqual({ totalBytes: 100, models: [a.sha256] });
  });

  it('shares one load between concurrent first requests', async () => {
    const runtime = new EchoRuntime();
    const gate = deferred();
    runtime.gate = gate.promise;
    const cache = new SessionCache({ runtime, maxBytes: 1000 });
    const a = artifact('a');
    let fetches = 0;
    const loader = async (): Promise<Uint8Array> => {
      fetches++;
      return a.bytes;
    };

    const results = Promise.all([1, 2, 3, 4, 5].map(() => echo(cache, a, loader)));
    gate.resolve();

    expect(new Set(await results).size).toBe(1);
    expect(fetches).toBe(1);
    expect(runtime.loaded).toHaveLength(1);
  });

  it('evicts the least recently used models beyond the byte bound', async () => {
    const runtime = new EchoRuntime();
    const cache = new SessionCache({ runtime, maxBytes: 250 });
    const [a, b, c] = [artifact('a'), artifact('b'), artifact('c')];

    await echo(cache, a);
    await echo(cache, b);
    await echo(cache, a);
    await echo(cache, c);

    expect(cache.has(b.sha256)).toBe(false);
    expect(runtime.released.map((text) => text[0])).toEqual(['b']);
    expect(cache.stats()).toEqual({ totalBytes: 200, models: [a.sha256, c.sha256] });
  });

  it('keeps a model that alone exceeds the bound while evicting the others', async () => {
    const runtime = new EchoRuntime();
    const cache = new SessionCache({ runtime, maxBytes: 150 });
    const [a, big] = [artifact('a'), artifact('big', 400)];

    await echo(cache, a);
    const text = await echo(cache, big);

    expect(text.startsWith('big')).toBe(true);
    expect(cache.stats()).toEqual({ totalBytes: 400, models: [big.sha256] });
    expect(runtime.released.map((released) => released[0])).toEqual(['a']);
  });

  it('does not remember a failed load: the next request loads again', async () => {
    const runtime = new EchoRuntime();
    runtime.failures = 1;
    const cache = new SessionCache({ runtime, maxBytes: 1000 });
    const a = artifact('a');

    const error = await rejectionOf(echo(cache, a));
    const retried = await echo(cache, a);

    expect(error.status).toBe(502);
    expect(error.code).toBe('model_load_failed');
    expect(error.message).toBe(`model artifact sha256:${a.sha256} failed to load: cannot parse ${retried}`);
    expect(runtime.loaded).toHaveLength(2);
  });

  it('passes loader failures through and retries them too', async () => {
    const runtime = new EchoRuntime();
    const cache = new SessionCache({ runtime, maxBytes: 1000 });
    const a = artifact('a');
    const missing = new InfergateError(404, 'artifact_not_found', 'no such artifact');

    await expect(echo(cache, a, () => Promise.reject(missing))).rejects.toBe(missing);
    await expect(echo(cache, a)).resolves.toMatch(/^a/);
  });

  it('refuses bytes that do not match the sha256, without loading them', async () => {
    const runtime = new EchoRuntime();
    const cache = new SessionCache({ runtime, maxBytes: 1000 });
    const [a, b] = [artifact('a'), artifact('b')];

    const error = await rejectionOf(echo(cache, a, async () => b.bytes));

    expect(error.status).toBe(502);
    expect(error.code).toBe('artifact_corrupt');
    expect(error.message).toBe(
      `model artifact sha256:${a.sha256} is corrupt: its 100 bytes hash to sha256:${b.sha256}`,
    );
    expect(runtime.loaded).toEqual([]);
    expect(cache.has(a.sha256)).toBe(false);
  });

  it('releases an evicted model only after the runs in flight on it finish', async () => {
    const runtime = new EchoRuntime();
    const cache = new SessionCache({ runtime, maxBytes: 100 });
    const [a, b] = [artifact('a'), artifact('b')];
    const running = deferred();
    const finish = deferred();

    const slow = cache.use(
      a.sha256,
      async () => a.bytes,
      async (model) => {
        running.resolve();
        await finish.promise;
        return model.run({});
      },
    );
    await running.promise;
    await echo(cache, b);
    const releasedDuringRun = [...runtime.released];
    finish.resolve();
    const outputs = await slow;

    expect(cache.has(a.sha256)).toBe(false);
    expect(releasedDuringRun).toEqual([]);
    expect(outputs.text?.data[0]).toMatch(/^a/);
    expect(runtime.released.map((text) => text[0])).toEqual(['a']);
  });

  it('keeps a model usable for requests that waited on its load when another load evicts it', async () => {
    const runtime = new EchoRuntime();
    const gate = deferred();
    runtime.gate = gate.promise;
    const cache = new SessionCache({ runtime, maxBytes: 100 });
    const [a, b] = [artifact('a'), artifact('b')];

    // Both loads finish in the same turn, so b's load evicts a before a's callers resume.
    const pending = Promise.all([echo(cache, a), echo(cache, b)]);
    await new Promise((resolve) => setImmediate(resolve));
    gate.resolve();
    const results = await pending;

    expect(results.map((text) => text[0])).toEqual(['a', 'b']);
    expect(runtime.released.map((text) => text[0])).toEqual(['a']);
    expect(cache.stats().models).toEqual([b.sha256]);
  });

  it('clear() releases idle models', async () => {
    const runtime = new EchoRuntime();
    const cache = new SessionCache({ runtime, maxBytes: 1000 });
    const [a, b] = [artifact('a'), artifact('b')];
    await echo(cache, a);
    await echo(cache, b);

    await cache.clear();

    expect(runtime.released.map((text) => text[0]).sort()).toEqual(['a', 'b']);
    expect(cache.stats()).toEqual({ totalBytes: 0, models: [] });
  });

  it('reports a failed release to onReleaseError and carries on', async () => {
    const runtime = new EchoRuntime();
    const failures: string[] = [];
    const cache = new SessionCache({
      runtime: {
        load: async (bytes) => {
          const model = await runtime.load(bytes);
          return {
            inputs: model.inputs,
            outputs: model.outputs,
            sizeBytes: model.sizeBytes,
            run: (feeds) => model.run(feeds),
            release: () => Promise.reject(new Error('busy')),
          };
        },
      },
      maxBytes: 100,
      onReleaseError: (error, sha256) => failures.push(`${sha256}: ${String(error)}`),
    });
    const [a, b] = [artifact('a'), artifact('b')];

    await echo(cache, a);
    await echo(cache, b);
    await new Promise((resolve) => setImmediate(resolve));

    expect(failures).toEqual([`${a.sha256}: Error: busy`]);
    await expect(echo(cache, b)).resolves.toMatch(/^b/);
  });
});
