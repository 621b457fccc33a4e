import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  InternalServerError,
  ProvisionedThroughputExceededException,
  RequestLimitExceeded,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';
import { createServer, type Server, type Socket } from 'node:net';
import { createDocumentClient } from '../../../functions/adapters/dynamodb/client';
import { translateDynamoError } from '../../../functions/adapters/dynamodb/errors';
import { DynamoRegistryStore } from '../../../functions/adapters/dynamodb/registry-store';
import { DynamoUsageStore } from '../../../functions/adapters/dynamodb/usage-store';
import { ConflictError, UnavailableError } from '../../../functions/core/errors';
import { LOCAL_AWS, startDynalite } from '../../support/dynalite';

/**
 * Fail fast: one retry, short connect and request timeouts. Without `throwOnRequestTimeout`
 * the SDK only logs a warning when `requestTimeout` passes and keeps waiting.
 */
const IMPATIENT = {
  maxAttempts: 2,
  retryMode: 'standard',
  requestHandler: { connectionTimeout: 300, requestTimeout: 500, throwOnRequestTimeout: true },
} as const;

const metadata = { httpStatusCode: 400, attempts: 1, totalRetryDelay: 0 };

describe('translateDynamoError', () => {
  test('a failed condition is a conflict with the code of the entity', () => {
    const cause = new ConditionalCheckFailedException({
      message: 'The conditional request failed',
      $metadata: metadata,
    });

    const translated = translateDynamoError(cause, {
      code: 'model_exists',
      message: 'model "m" exists already',
    });

    expect(translated).toBeInstanceOf(ConflictError);
    expect(translated).toMatchObject({ status: 409, code: 'model_exists', cause });
  });

  test.each([
    [
      'ProvisionedThroughputExceededException',
      new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: metadata }),
    ],
    ['ThrottlingException', new ThrottlingException({ message: 'slow down', $metadata: metadata })],
    ['RequestLimitExceeded', new RequestLimitExceeded({ message: 'slow down', $metadata: metadata })],
    [
      'InternalServerError',
      new InternalServerError({ message: 'oops', $metadata: { ...metadata, httpStatusCode: 500 } }),
    ],
    ['ServiceUnavailable', Object.assign(new Error('unavailable'), { name: 'ServiceUnavailable' })],
    ['ECONNREFUSED', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })],
    ['a socket hang-up', new Error('socket hang up')],
    ['TimeoutError', Object.assign(new Error('timed out'), { name: 'TimeoutError' })],
    [
      'an AggregateError of refused connections',
      new AggregateError([Object.assign(new Error('connect'), { code: 'ECONNREFUSED' })], 'all failed'),
    ],
  ])('%s makes the store unavailable (503, fail closed)', (_name, cause) => {
    const translated = translateDynamoError(cause);

    expect(translated).toBeInstanceOf(UnavailableError);
    expect(translated).toMatchObject({ status: 503, code: 'store_unavailable', cause });
  });

  test('any other error is returned unchanged', () => {
    const validation = Object.assign(new Error('One or more parameter values were invalid'), {
      name: 'ValidationException',
    });

    expect(translateDynamoError(validation)).toBe(validation);
    expect(translateDynamoError('not even an error')).toBe('not even an error');
  });
});

describe('an unreachable store', () => {
  test('a stopped server makes reads and metering fail with store_unavailable', async () => {
    const dynamo = await startDynalite();
    // A client of its own: `stop()` destroys the clients the server handed out.
    const lowLevel = new DynamoDBClient({ ...LOCAL_AWS, ...IMPATIENT, endpoint: dynamo.endpoint });
    const client = createDocumentClient({ client: lowLevel });
    const registry = new DynamoRegistryStore({ tableName: dynamo.tableName, client });
    const usage = new DynamoUsageStore({ tableName: dynamo.tableName, client });
    await expect(registry.getKey('0000000000000001')).resolves.toBeUndefined();
    await dynamo.stop();

    const lookup = registry.getKey('0000000000000001');
    await expect(lookup).rejects.toBeInstanceOf(UnavailableError);
    await expect(lookup).rejects.toMatchObject({ code: 'store_unavailable', status: 503 });
    await expect(
      usage.record({
        tenantId: 't-1',
        keyId: '0000000000000001',
        modelName: 'm',
        version: '1',
        plan: 'free',
        at: new Date(),
        error: false,
        computeMs: 1,
        inputBytes: 1,
        outputBytes: 1,
      }),
    ).rejects.toMatchObject({ code: 'store_unavailable', status: 503 });
    lowLevel.destroy();
  });

  test.each([
    ['never answers (request timeout)', (_socket: Socket) => undefined],
    ['hangs up (socket hang up)', (socket: Socket) => socket.once('data', () => socket.destroy())],
  ])('a server that %s makes lookups fail with store_unavailable', async (_name, onConnection) => {
    const sockets = new Set<Socket>();
    const server: Server = createServer((socket) => {
      sockets.add(socket);
      onConnection(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('not listening on TCP');
    const lowLevel = new DynamoDBClient({
      ...LOCAL_AWS,
      ...IMPATIENT,
      endpoint: `http://127.0.0.1:${address.port}`,
    });
    const registry = new DynamoRegistryStore({
      tableName: 't',
      client: createDocumentClient({ client: lowLevel }),
    });

    try {
      await expect(registry.getKey('0000000000000001')).rejects.toMatchObject({
        code: 'store_unavailable',
        status: 503,
      });
    } finally {
      lowLevel.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
