import { Problems } from './validation';

/** The deployment stages the app knows. `prod` retains data and protects it from deletion. */
export const STAGES = ['dev', 'prod'] as const;
export type Stage = (typeof STAGES)[number];

/**
 * What `cdk deploy -c key=value` (or cdk.json's `context`) decides about one deployment.
 * Values from cdk.json arrive typed; values from `-c` arrive as strings; both are accepted.
 */
export interface InfergateConfig {
  readonly stage: Stage;
  /** E-mail address subscribed to the alarm topic; undefined for none. */
  readonly alarmEmail?: string;
  /** Memory of the inference function in MB (Lambda also scales CPU with it). */
  readonly inferenceMemoryMb: number;
  /** Default SageMaker instance type of the GPU catalog entries. */
  readonly gpuInstanceType: string;
  /** Whether the SageMaker GPU endpoints of `models/catalog.ts` are deployed. */
  readonly gpuEndpoints: boolean;
  /**
   * Whether the inference function writes usage rows after the response, its in-process
   * extension holding the invocation until they are written (`INFERGATE_METER_AFTER_RESPONSE`).
   */
  readonly meterAfterResponse: boolean;
}

/** Defaults used when a context key is absent (cdk.json sets the same values). */
export const DEFAULT_CONFIG: InfergateConfig = {
  stage: 'dev',
  inferenceMemoryMb: 2048,
  gpuInstanceType: 'ml.g5.xlarge',
  gpuEndpoints: true,
  meterAfterResponse: true,
};

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const INSTANCE_TYPE = /^ml\.[a-z0-9]+\.[a-z0-9]+$/;
/** Lambda's memory bounds, in MB. */
const MIN_MEMORY_MB = 128;
const MAX_MEMORY_MB = 10240;

/**
 * Reads and validates the deployment context; every problem is reported in one error.
 *
 * @example
 * const config = readConfig((key) => app.node.tryGetContext(key));
 */
export function readConfig(context: (key: string) => unknown): InfergateConfig {
  const problems = new Problems('deployment context (cdk.json "context" or -c key=value)');

  const stageValue = context('stage') ?? DEFAULT_CONFIG.stage;
  const stage = STAGES.find((candidate) => candidate === stageValue);
  problems.check(
    stage !== undefined,
    `stage must be one of ${STAGES.join(', ')}, got ${JSON.stringify(stageValue)}`,
  );

  const emailValue = context('alarmEmail') ?? '';
  const alarmEmail = typeof emailValue === 'string' ? emailValue.trim() : undefined;
  problems.check(
    alarmEmail !== undefined && (alarmEmail === '' || EMAIL.test(alarmEmail)),
    `alarmEmail must be an e-mail address or empty, got ${JSON.stringify(emailValue)}`,
  );

  const memoryValue = context('inferenceMemoryMb') ?? DEFAULT_CONFIG.inferenceMemoryMb;
  const memoryNumber = typeof memoryValue === 'string' ? Number(memoryValue) : memoryValue;
  const inferenceMemoryMb =
    typeof memoryNumber === 'number' &&
    Number.isInteger(memoryNumber) &&
    memoryNumber >= MIN_MEMORY_MB &&
    memoryNumber <= MAX_MEMORY_MB
      ? memoryNumber
      : undefined;
  problems.check(
    inferenceMemoryMb !== undefined,
    `inferenceMemoryMb must be an integer from ${MIN_MEMORY_MB} to ${MAX_MEMORY_MB}, got ${JSON.stringify(memoryValue)}`,
  );

  const instanceValue = context('gpuInstanceType') ?? DEFAULT_CONFIG.gpuInstanceType;
  const gpuInstanceType = typeof instanceValue === 'string' ? instanceValue : '';
  problems.check(
    INSTANCE_TYPE.test(gpuInstanceType),
    `gpuInstanceType must be a SageMaker instance type such as ml.g5.xlarge, got ${JSON.stringify(instanceValue)}`,
  );

  const gpuValue = context('gpuEndpoints') ?? DEFAULT_CONFIG.gpuEndpoints;
  const gpuEndpoints = parseBoolean(gpuValue);
  problems.check(
    gpuEndpoints !== undefined,
    `gpuEndpoints must be true or false, got ${JSON.stringify(gpuValue)}`,
  );

  const meterValue = context('meterAfterResponse') ?? DEFAULT_CONFIG.meterAfterResponse;
  const meterAfterResponse = parseBoolean(meterValue);
  problems.check(
    meterAfterResponse !== undefined,
    `meterAfterResponse must be true or false, got ${JSON.stringify(meterValue)}`,
  );

  problems.throwIfAny();
  return {
    stage: stage ?? DEFAULT_CONFIG.stage,
    alarmEmail: alarmEmail === '' ? undefined : alarmEmail,
    inferenceMemoryMb: inferenceMemoryMb ?? DEFAULT_CONFIG.inferenceMemoryMb,
    gpuInstanceType,
    gpuEndpoints: gpuEndpoints ?? DEFAULT_CONFIG.gpuEndpoints,
    meterAfterResponse: meterAfterResponse ?? DEFAULT_CONFIG.meterAfterResponse,
  };
}

function parseBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return undefined;
}
