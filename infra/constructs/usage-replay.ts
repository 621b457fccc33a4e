import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import { SERVICE } from '../../functions/constants';
import { Problems } from '../validation';
import type { ArtifactBucket } from './artifact-bucket';
import { PlatformFunction } from './platform-function';
import type { RegistryTable } from './registry-table';

export interface UsageReplayProps {
  readonly table: RegistryTable;
  /** The bucket whose `spill/usage/` prefix holds the spilled usage writes. */
  readonly artifacts: ArtifactBucket;
  /** Environment of the function (stage, table, bucket); names come from `ENV`. */
  readonly environment: Readonly<Record<string, string>>;
  /**
   * How often the spill is replayed.
   * @default one minute
   */
  readonly rate?: Duration;
  /** What happens to the log group when the stack is deleted. @default RemovalPolicy.DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The usage replay: a function, run on a schedule by an EventBridge rule, that applies
 * usage writes the data plane spilled to S3 (when the table refused them) to the usage
 * counters, exactly once, and deletes them. Its role may only update usage counters
 * (`USAGE#` partitions, no reads) and list, read and delete `spill/usage/*`. A run stops
 * taking new writes after 45 s, so runs rarely overlap; when they do, a write is still
 * applied once.
 */
export class UsageReplay extends Construct {
  public readonly replay: PlatformFunction;
  public readonly schedule: Rule;

  public constructor(scope: Construct, id: string, props: UsageReplayProps) {
    super(scope, id);
    const rate = props.rate ?? Duration.minutes(1);
    const problems = new Problems(`UsageReplay ${id} props`);
    problems.check(
      rate.toSeconds({ integral: false }) >= 60 && Number.isInteger(rate.toMinutes({ integral: false })),
      `rate must be a whole number of minutes (EventBridge's finest schedule), got ${rate.toHumanString()}`,
    );
    problems.throwIfAny();

    this.replay = new PlatformFunction(this, 'Function', {
      entry: 'functions/usage-replay/handler.ts',
      description: 'Infergate metering: applies spilled usage writes to the counters, exactly once',
      serviceName: SERVICE.usageReplay,
      memorySize: 512,
      // The replayer starts no write after 45 s; the rest is for the writes in flight.
      timeout: Duration.seconds(60),
      environment: props.environment,
      logRemovalPolicy: props.logRemovalPolicy,
    });
    props.table.grantMeter(this.replay.function);
    props.artifacts.grantReplayUsageSpill(this.replay.function);

    this.schedule = new Rule(this, 'Schedule', {
      description: 'Replays spilled Infergate usage writes',
      schedule: Schedule.rate(rate),
    });
    // A failed run is not retried: the next scheduled run replays what is left.
    this.schedule.addTarget(new LambdaFunction(this.replay.function, { retryAttempts: 0 }));
  }
}
