import { DEFAULT_CONFIG, readConfig } from '../../infra/config';
import { PropsValidationError } from '../../infra/validation';
import { cdkJsonContext } from './support/app';

function contextOf(values: Record<string, unknown>): (key: string) => unknown {
  return (key) => values[key];
}

describe('readConfig', () => {
  it('reads cdk.json as a fresh clone deploys it', () => {
    const config = readConfig(contextOf(cdkJsonContext()));

    expect(config).toEqual({
      stage: 'dev',
      alarmEmail: undefined,
      inferenceMemoryMb: 2048,
      gpuInstanceType: 'ml.g5.xlarge',
      gpuEndpoints: true,
      meterAfterResponse: true,
    });
  });

  it('uses the defaults when the context is empty', () => {
    expect(readConfig(contextOf({}))).toEqual({ ...DEFAULT_CONFIG, alarmEmail: undefined });
  });

  it('accepts the strings that `cdk deploy -c key=value` passes', () => {
    const config = readConfig(
      contextOf({
        stage: 'prod',
        alarmEmail: ' ops@example.com ',
        inferenceMemoryMb: '3008',
        gpuInstanceType: 'ml.g6.xlarge',
        gpuEndpoints: 'false',
        meterAfterResponse: 'false',
      }),
    );

    expect(config).toEqual({
      stage: 'prod',
      alarmEmail: 'ops@example.com',
      inferenceMemoryMb: 3008,
      gpuInstanceType: 'ml.g6.xlarge',
      gpuEndpoints: false,
      meterAfterResponse: false,
    });
  });

  it('reports every invalid value at once, naming each key', () => {
    const read = () =>
      readConfig(
        contextOf({
          stage: 'staging',
          alarmEmail: 'not-an-address',
          inferenceMemoryMb: '64',
          gpuInstanceType: 'g5.xlarge',
          gpuEndpoints: 'yes',
          meterAfterResponse: 'later',
        }),
      );

    expect(read).toThrow(PropsValidationError);
    try {
      read();
    } catch (error) {
      const problems = error instanceof PropsValidationError ? error.problems : [];
      expect(problems).toHaveLength(6);
      for (const key of [
        'stage',
        'alarmEmail',
        'inferenceMemoryMb',
        'gpuInstanceType',
        'gpuEndpoints',
        'meterAfterResponse',
      ]) {
        expect(problems.some((problem) => problem.startsWith(key))).toBe(true);
      }
    }
  });
});
