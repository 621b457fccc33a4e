import { Tracer } from '@aws-lambda-powertools/tracer';
import { loadConfig } from '../../functions/config';
import { ENV } from '../../functions/constants';
import { createStores } from '../../functions/shared/stores';
import { startDynalite, type LocalDynamo } from './dynalite';
import { startDynamoFaultProxy, type DynamoFaultProxy } from './dynamo-fault-proxy';
import { LOCAL_S3, startS3rver, type LocalS3 } from './s3rver';

/** dynalite behind the fault proxy, and s3rver: what the metering fault tests run against. */
export interface FaultyFunctionStores {
  readonly dynamo: LocalDynamo;
  readonly s3: LocalS3;
  readonly proxy: DynamoFaultProxy;
  /**
   * The stores a function builds (`createStores`, one process: the production SDK clients and
   * settings), reaching the table through the proxy, and S3 at `s3Endpoint` (an unreachable
   * one makes the spill fail).
   */
  functionStores(options?: { readonly s3Endpoint?: string }): ReturnType<typeof createStores>;
  close(): Promise<void>;
}

/**
 * Starts dynalite, the fault proxy in front of it and s3rver, with the credentials the
 * functions' clients read from the environment.
 *
 * @example
 * let stores: FaultyFunctionStores;
 * beforeAll(async () => { stores = await startFaultyFunctionStores('metering-test'); });
 * afterEach(() => stores.proxy.setFaults(undefined));
 * afterAll(() => stores.close());
 */
export async function startFaultyFunctionStores(serviceName: string): Promise<FaultyFunctionStores> {
  process.env.AWS_REGION = LOCAL_S3.region;
  process.env.AWS_ACCESS_KEY_ID = LOCAL_S3.credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = LOCAL_S3.credentials.secretAccessKey;
  const [dynamo, s3] = await Promise.all([startDynalite(), startS3rver()]);
  const proxy = await startDynamoFaultProxy(dynamo.endpoint);
  return {
    dynamo,
    s3,
    proxy,
    functionStores: (options = {}) =>
      createStores(
        loadConfig({
          [ENV.TABLE_NAME]: dynamo.tableName,
          [ENV.ARTIFACT_BUCKET]: s3.bucket,
          [ENV.DYNAMODB_ENDPOINT]: proxy.url,
          [ENV.S3_ENDPOINT]: options.s3Endpoint ?? s3.endpoint,
        }),
        new Tracer({ serviceName, enabled: false }),
      ),
    close: async () => {
      await proxy.close();
      await Promise.all([dynamo.stop(), s3.stop()]);
    },
  };
}
