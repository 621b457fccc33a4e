import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import {
  AssetHashType,
  Aws,
  BundlingOutput,
  CfnMapping,
  DockerImage,
  Duration,
  RemovalPolicy,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import {
  AdjustmentType,
  MetricAggregationType,
  PredefinedMetric,
  ScalableTarget,
  ServiceNamespace,
  StepScalingAction,
  type TargetTrackingScalingPolicy,
} from 'aws-cdk-lib/aws-applicationautoscaling';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { ApplicationScalingAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { type IRepository, Repository } from 'aws-cdk-lib/aws-ecr';
import { Grant, type IGrantable, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { CfnEndpoint, CfnEndpointConfig, CfnInferenceComponent, CfnModel } from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import {
  catalogProblems,
  type GpuModelEntry,
  type InferenceComponentEntry,
  modelsPrefixOf,
  type RegionalImage,
  TRITON_IMAGE,
} from '../../models/catalog';
import { REPO_ROOT } from '../bundling';
import { DEFAULT_LOG_RETENTION } from '../lambda-defaults';
import { Problems } from '../validation';
import type { ArtifactBucket } from './artifact-bucket';

/** The one production variant of every platform endpoint. */
export const VARIANT_NAME = 'AllTraffic';

export interface GpuEndpointProps {
  readonly entry: GpuModelEntry;
  /** Name of the SageMaker endpoint (see `endpointNameFor()`). */
  readonly endpointName: string;
  /**
   * Name of the inference component, for an entry with `inferenceComponent` (see
   * `inferenceComponentNameFor()`); required for such an entry, refused for any other.
   * @default none: a multi-model endpoint
   */
  readonly inferenceComponentName?: string;
  /** Bucket holding the endpoint's model archives (under `modelsPrefixOf(entry)`). */
  readonly artifacts: ArtifactBucket;
  /** Instance type when the entry names none. */
  readonly defaultInstanceType: string;
  /** @default three months */
  readonly logRetention?: RetentionDays;
  /**
   * Wait after a scale-out before the next one.
   * @default 1 minute
   */
  readonly scaleOutCooldown?: Duration;
  /**
   * Wait after a scale-in before the next one (GPU instances take minutes to start).
   * @default 5 minutes
   */
  readonly scaleInCooldown?: Duration;
}

/**
 * One GPU endpoint of the catalog, of one of two kinds.
 *
 * A **multi-model endpoint** (the default): a SageMaker real-time endpoint running Triton
 * (model in `MultiModel` mode over the entry's S3 prefix, endpoint configuration,
 * endpoint), target-tracking auto scaling on invocations per instance, and an execution
 * role that may read the archives under its own prefix, pull the serving image and write
 * its own log group. The prefix may be empty: SageMaker loads a model (`TargetModel`) on
 * its first invocation, so the endpoint deploys before any model is registered.
 *
 * An **inference-component endpoint** (an entry with `inferenceComponent`), the kind that
 * scales to zero: the entry's ONNX file packed at synth as a Triton model repository and
 * shipped as a CDK asset (so one `cdk deploy` suffices), a single-model `CfnModel` over
 * it, an endpoint configuration without a model whose variant has managed instance scaling
 * down to `minInstances` (0), the endpoint, and one `AWS::SageMaker::InferenceComponent`.
 * Its copy count scales with Application Auto Scaling between `minCopies` and `maxCopies`:
 * target tracking on invocations per copy, and, as SageMaker documents for scale to zero
 * (target tracking cannot leave zero copies), a step-scaling policy that adds a copy when
 * the `NoCapacityInvocationFailures` alarm fires, which is when an invocation found no copy.
 */
export class GpuEndpoint extends Construct {
  public readonly endpointName: string;
  public readonly endpointArn: string;
  /** S3 prefix of the endpoint's model archives (its `ModelDataUrl`). */
  public readonly modelsPrefix: string;
  public readonly variantName = VARIANT_NAME;
  public readonly role: Role;
  public readonly model: CfnModel;
  public readonly endpointConfig: CfnEndpointConfig;
  public readonly endpoint: CfnEndpoint;
  public readonly scaling: ScalableTarget;
  public readonly scalingPolicy: TargetTrackingScalingPolicy;
  public readonly logGroup: LogGroup;
  /** The inference component's name and ARN (component-based entries only). */
  public readonly inferenceComponentName?: string;
  public readonly inferenceComponentArn?: string;
  public readonly inferenceComponent?: CfnInferenceComponent;
  /** The Triton model repository built at synth from the catalog's ONNX file. */
  public readonly modelData?: Asset;
  /** Adds a copy when an invocation found none: the way out of zero. */
  public readonly scaleFromZero?: StepScalingAction;
  /** `NoCapacityInvocationFailures` of the component, which triggers `scaleFromZero`. */
  public readonly noCapacityAlarm?: Alarm;

  public constructor(scope: Construct, id: string, props: GpuEndpointProps) {
    super(scope, id);
    const { entry } = props;
    const instanceType = entry.instanceType ?? props.defaultInstanceType;
    const problems = new Problems(`GpuEndpoint ${id} props`);
    for (const problem of catalogProblems([entry])) problems.add(problem);
    problems.check(
      /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(props.endpointName),
      `endpointName must be 1-63 letters, digits and hyphens, got ${props.endpointName}`,
    );
    problems.check(
      /^ml\.[a-z0-9]+\.[a-z0-9]+$/.test(instanceType),
      `instance type must look like ml.g5.xlarge, got ${instanceType}`,
    );
    const component = entry.inferenceComponent;
    problems.check(
      (component === undefined) === (props.inferenceComponentName === undefined),
      'inferenceComponentName must be given exactly when the entry has an inferenceComponent',
    );
    problems.check(
      props.inferenceComponentName === undefined ||
        /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(props.inferenceComponentName),
      `inferenceComponentName must be 1-63 letters, digits and hyphens, got ${props.inferenceComponentName}`,
    );
    problems.throwIfAny();

    const stack = Stack.of(this);
    this.endpointName = props.endpointName;
    this.modelsPrefix = modelsPrefixOf(entry);
    this.endpointArn = stack.formatArn({
      service: 'sagemaker',
      resource: 'endpoint',
      // SageMaker lowercases endpoint names in ARNs.
      resourceName: props.endpointName.toLowerCase(),
    });

    this.role = new Role(this, 'ExecutionRole', {
      assumedBy: new ServicePrincipal('sagemaker.amazonaws.com'),
      description: `SageMaker execution role of endpoint ${props.endpointName}`,
    });
    // A component's model data is its own asset (read below); a multi-model endpoint reads its prefix.
    if (component === undefined) props.artifacts.grantReadEndpointModels(this.role, this.modelsPrefix);
    const image = regionalImage(this, entry.image ?? TRITON_IMAGE);
    image.repository.grantPull(this.role);

    this.logGroup = new LogGroup(this, 'Logs', {
      // SageMaker writes a component's container logs under the component's name.
      logGroupName:
        props.inferenceComponentName === undefined
          ? `/aws/sagemaker/Endpoints/${props.endpointName}`
          : `/aws/sagemaker/InferenceComponents/${props.inferenceComponentName}`,
      retention: props.logRetention ?? DEFAULT_LOG_RETENTION,
      // Container logs only; destroying them lets a later deployment recreate the same name.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.logGroup.grantWrite(this.role);
    this.logGroup.grant(this.role, 'logs:DescribeLogStreams');

    const autoScalingRole = Role.fromRoleArn(
      this,
      'AutoScalingRole',
      stack.formatArn({
        service: 'iam',
        region: '',
        resource: 'role',
        // Application Auto Scaling's service-linked role for SageMaker (created on first use).
        resourceName:
          'aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint',
      }),
      { mutable: false },
    );
    const scaleOutCooldown = props.scaleOutCooldown ?? Duration.minutes(1);
    const scaleInCooldown = props.scaleInCooldown ?? Duration.minutes(5);

    if (component === undefined || props.inferenceComponentName === undefined) {
      this.model = new CfnModel(this, 'Model', {
        executionRoleArn: this.role.roleArn,
        enableNetworkIsolation: true,
        primaryContainer: {
          image: image.uri,
          // Triton serves whichever archive under the prefix an invocation names (TargetModel).
          mode: 'MultiModel',
          modelDataUrl: props.artifacts.bucket.s3UrlForObject(this.modelsPrefix),
        },
      });
      this.model.node.addDependency(this.role);

      this.endpointConfig = new CfnEndpointConfig(this, 'Config', {
        productionVariants: [
          {
            variantName: VARIANT_NAME,
            modelName: this.model.attrModelName,
            initialInstanceCount: entry.minInstances,
            instanceType,
            initialVariantWeight: 1,
          },
        ],
      });

      this.endpoint = new CfnEndpoint(this, 'Endpoint', {
        endpointName: props.endpointName,
        endpointConfigName: this.endpointConfig.attrEndpointConfigName,
      });
      this.endpoint.node.addDependency(this.logGroup);

      this.scaling = new ScalableTarget(this, 'Scaling', {
        serviceNamespace: ServiceNamespace.SAGEMAKER,
        resourceId: `endpoint/${props.endpointName}/variant/${VARIANT_NAME}`,
        scalableDimension: 'sagemaker:variant:DesiredInstanceCount',
        minCapacity: entry.minInstances,
        maxCapacity: entry.maxInstances,
        role: autoScalingRole,
      });
      this.scaling.node.addDependency(this.endpoint);
      this.scalingPolicy = this.scaling.scaleToTrackMetric('InvocationsPerInstance', {
        predefinedMetric: PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE,
        targetValue: entry.targetInvocationsPerInstance,
        scaleOutCooldown,
        scaleInCooldown,
      });
    } else {
      const componentName = props.inferenceComponentName;
      this.inferenceComponentName = componentName;
      this.inferenceComponentArn = stack.formatArn({
        service: 'sagemaker',
        resource: 'inference-component',
        resourceName: componentName.toLowerCase(),
      });

      // The model data: the catalog's ONNX file as a Triton model repository, built at synth.
      this.modelData = catalogModelAsset(this, component);
      Grant.addToPrincipal({
        grantee: this.role,
        actions: ['s3:GetObject'],
        resourceArns: [this.modelData.bucket.arnForObjects(this.modelData.s3ObjectKey)],
      });

      this.model = new CfnModel(this, 'Model', {
        executionRoleArn: this.role.roleArn,
        enableNetworkIsolation: true,
        primaryContainer: {
          image: image.uri,
          modelDataUrl: this.modelData.s3ObjectUrl,
          // Triton's SageMaker server loads the repository's one model under this name.
          environment: { SAGEMAKER_TRITON_DEFAULT_MODEL_NAME: component.artifact.tritonName },
        },
      });
      this.model.node.addDependency(this.role);

      // No model on the variant: the component places copies; managed instance scaling
      // follows the copies, down to minInstances (0) when no copy is left.
      this.endpointConfig = new CfnEndpointConfig(this, 'Config', {
        executionRoleArn: this.role.roleArn,
        productionVariants: [
          {
            variantName: VARIANT_NAME,
            instanceType,
            // SageMaker starts a component endpoint with an instance; scaling may then remove it.
            initialInstanceCount: Math.max(1, entry.minInstances),
            managedInstanceScaling: {
              status: 'ENABLED',
              minInstanceCount: entry.minInstances,
              maxInstanceCount: entry.maxInstances,
            },
            routingConfig: { routingStrategy: 'LEAST_OUTSTANDING_REQUESTS' },
          },
        ],
      });
      this.endpointConfig.node.addDependency(this.role);

      this.endpoint = new CfnEndpoint(this, 'Endpoint', {
        endpointName: props.endpointName,
        endpointConfigName: this.endpointConfig.attrEndpointConfigName,
      });

      this.inferenceComponent = new CfnInferenceComponent(this, 'Component', {
        inferenceComponentName: componentName,
        endpointName: this.endpoint.attrEndpointName,
        variantName: VARIANT_NAME,
        specification: {
          modelName: this.model.attrModelName,
          computeResourceRequirements: {
            minMemoryRequiredInMb: component.memoryMb,
            numberOfAcceleratorDevicesRequired: component.acceleratorDevices ?? 1,
          },
        },
        // Created with one copy (the deployment proves the model loads); scaling takes it to minCopies.
        runtimeConfig: { copyCount: Math.max(1, component.minCopies) },
      });
      this.inferenceComponent.node.addDependency(this.logGroup);

      this.scaling = new ScalableTarget(this, 'Scaling', {
        serviceNamespace: ServiceNamespace.SAGEMAKER,
        resourceId: `inference-component/${componentName}`,
        scalableDimension: 'sagemaker:inference-component:DesiredCopyCount',
        minCapacity: component.minCopies,
        maxCapacity: component.maxCopies,
        role: autoScalingRole,
      });
      this.scaling.node.addDependency(this.inferenceComponent);
      this.scalingPolicy = this.scaling.scaleToTrackMetric('InvocationsPerCopy', {
        predefinedMetric: PredefinedMetric.SAGEMAKER_INFERENCE_COMPONENT_INVOCATIONS_PER_COPY,
        targetValue: component.targetInvocationsPerCopy,
        scaleOutCooldown,
        scaleInCooldown,
      });

      // Out of zero: target tracking divides by the copies and cannot act on none. SageMaker
      // emits NoCapacityInvocationFailures for each invocation that found no copy; one in a
      // minute adds a copy (and with it an instance). The policy is SageMaker's documented
      // one (ChangeInCapacity +1 from 0, Maximum, 60 s cooldown); the alarm fires on the first
      // failure (>= 1) rather than the example's "> 1", so that a single caller wakes it.
      this.scaleFromZero = new StepScalingAction(this, 'ScaleFromZero', {
        scalingTarget: this.scaling,
        adjustmentType: AdjustmentType.CHANGE_IN_CAPACITY,
        metricAggregationType: MetricAggregationType.MAXIMUM,
        cooldown: Duration.seconds(60),
      });
      this.scaleFromZero.addAdjustment({ adjustment: 1, lowerBound: 0 });
      this.noCapacityAlarm = new Alarm(this, 'NoCapacity', {
        alarmDescription: `Invocations of ${componentName} found no copy: add one (scale out from zero)`,
        metric: new Metric({
          namespace: 'AWS/SageMaker',
          metricName: 'NoCapacityInvocationFailures',
          dimensionsMap: { InferenceComponentName: componentName },
          statistic: 'Sum',
          period: Duration.minutes(1),
        }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      this.noCapacityAlarm.addAlarmAction(new ApplicationScalingAction(this.scaleFromZero));
    }

    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ecr:GetAuthorizationToken (needed to pull the Triton image) supports no resource-level permissions; the image pull actions are limited to the sagemaker-tritonserver repository and S3 reads to this endpoint’s own prefix of model archives (or, for an inference component, to its one model asset).',
    });
  }

  /**
   * Allows `grantee` to invoke this endpoint (and its inference component, which
   * `InvokeEndpoint` with `InferenceComponentName` is also authorized against), and nothing
   * else of SageMaker.
   */
  public grantInvoke(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: ['sagemaker:InvokeEndpoint'],
      resourceArns: [
        this.endpointArn,
        ...(this.inferenceComponentArn === undefined ? [] : [this.inferenceComponentArn]),
      ],
    });
  }
}

/** The pack-catalog-model script, run by the asset's local bundling. */
const PACK_SCRIPT = path.join(REPO_ROOT, 'infra', 'scripts', 'pack-catalog-model.ts');

/**
 * The model data of a component-based entry as a CDK asset: the catalog's ONNX file packed
 * as a Triton `model.tar.gz` by local bundling (no Docker), which checks the file's SHA-256
 * against the catalog. The asset is hashed by its output, so a change of the file or of
 * the packaging ships a new archive.
 */
function catalogModelAsset(scope: Construct, component: InferenceComponentEntry): Asset {
  const { artifact } = component;
  const file = artifact.file();
  return new Asset(scope, 'ModelData', {
    path: path.dirname(file),
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Never run: local bundling always packs or throws.
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22-slim'),
      outputType: BundlingOutput.SINGLE_FILE,
      local: {
        tryBundle(outputDir: string): boolean {
          try {
            execFileSync(
              process.execPath,
              [
                require.resolve('tsx/cli'),
                PACK_SCRIPT,
                file,
                artifact.sha256,
                artifact.tritonName,
                path.join(outputDir, 'model.tar.gz'),
              ],
              { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'pipe'], timeout: 300_000 },
            );
          } catch (error) {
            const stderr =
              typeof error === 'object' && error !== null && 'stderr' in error
                ? String(error.stderr).trim()
                : '';
            throw new Error(
              `Could not pack the model data of ${artifact.tritonName}: ${stderr || String(error)}`,
              {
                cause: error,
              },
            );
          }
          return true;
        },
      },
    },
  });
}

interface ResolvedImage {
  readonly uri: string;
  readonly repository: IRepository;
}

/**
 * The image's URI in the deployment region, through a CloudFormation mapping from region
 * to registry account (one mapping and one imported repository per stack and image).
 */
function regionalImage(scope: Construct, image: RegionalImage): ResolvedImage {
  const stack = Stack.of(scope);
  const id = `Image${image.repository}${image.tag}`.replace(/[^A-Za-z0-9]/g, '');
  const mapping =
    stack.node.tryFindChild(`${id}Registries`) ??
    new CfnMapping(stack, `${id}Registries`, {
      mapping: Object.fromEntries(
        Object.entries(image.registries).map(([region, account]) => [region, { account }]),
      ),
    });
  if (!(mapping instanceof CfnMapping)) throw new Error(`${id}Registries is not a CfnMapping`);
  const account = mapping.findInMap(Aws.REGION, 'account');
  const existing = stack.node.tryFindChild(`${id}Repository`);
  const repository =
    existing !== undefined && isRepository(existing)
      ? existing
      : Repository.fromRepositoryAttributes(stack, `${id}Repository`, {
          repositoryName: image.repository,
          repositoryArn: stack.formatArn({
            service: 'ecr',
            account,
            resource: 'repository',
            resourceName: image.repository,
          }),
        });
  return {
    uri: `${account}.dkr.ecr.${Aws.REGION}.${Aws.URL_SUFFIX}/${image.repository}:${image.tag}`,
    repository,
  };
}

function isRepository(construct: unknown): construct is IRepository {
  return (
    typeof construct === 'object' &&
    construct !== null &&
    'grantPull' in construct &&
    'repositoryUri' in construct &&
    'repositoryName' in construct
  );
}
