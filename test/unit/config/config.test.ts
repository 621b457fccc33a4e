import { ConfigError, loadConfig } from '../../../functions/config';
import { ENV } from '../../../functions/constants';

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
