import { ConfigError, loadConfig } from '../../../functions/config';
import { ENV, MAX_ARTIFACT_BYTES } from '../../../functions/constants';

describe('loadConfig', () => {
  it('reads the environment with defaults', () => {
    const config = loadConfig({ [ENV.TABLE_NAME]: 'table', [ENV.ARTIFACT_BUCKET]: 'bucket' });

    expect(config).toMatchObject({
      tableName: 'table',
      artifactBucket: 'bucket',
      keyCacheTtlSeconds: 60,
      ortNumThreads: 1,
      stage: 'dev',
    });
    expect(config.dynamodbEndpoint).toBeUndefined();
  });

  it('reads a lower model size limit, and refuses one above the platform limit', () => {
    const base = { [ENV.TABLE_NAME]: 'table', [ENV.ARTIFACT_BUCKET]: 'bucket' };

    expect(loadConfig(base).maxModelBytes).toBeUndefined();
    expect(loadConfig({ ...base, [ENV.MAX_MODEL_BYTES]: '1048576' }).maxModelBytes).toBe(1048576);
    expect(() => loadConfig({ ...base, [ENV.MAX_MODEL_BYTES]: String(MAX_ARTIFACT_BYTES + 1) })).toThrow(
      new RegExp(ENV.MAX_MODEL_BYTES),
    );
  });

  it('reads the preload bounds, 0 bytes turning preloading off, and refuses a timeout past Lambda init', () => {
    const base = { [ENV.TABLE_NAME]: 'table', [ENV.ARTIFACT_BUCKET]: 'bucket' };

    expect(loadConfig(base)).toMatchObject({ preloadBytes: undefined, preloadTimeoutMs: undefined });
    const preload = loadConfig({ ...base, [ENV.PRELOAD_BYTES]: '0', [ENV.PRELOAD_TIMEOUT_MS]: '2500' });

    expect(preload).toMatchObject({ preloadBytes: 0, preloadTimeoutMs: 2500 });
    expect(() => loadConfig({ ...base, [ENV.PRELOAD_TIMEOUT_MS]: '60000' })).toThrow(
      new RegExp(ENV.PRELOAD_TIMEOUT_MS),
    );
  });

  it('names every missing or invalid variable at once', () => {
    const load = () => loadConfig({ [ENV.S3_ENDPOINT]: 'not a url', [ENV.KEY_CACHE_TTL_SECONDS]: '-1' });

    expect(load).toThrow(ConfigError);
    expect(load).toThrow(
      new RegExp(
        [ENV.TABLE_NAME, ENV.ARTIFACT_BUCKET, ENV.S3_ENDPOINT, ENV.KEY_CACHE_TTL_SECONDS].join('.*'),
      ),
    );
  });
});
