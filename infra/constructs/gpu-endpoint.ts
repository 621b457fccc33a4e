import { Aws, CfnMapping, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  PredefinedMetric,
  ScalableTarget,
  ServiceNamespace,
  type TargetTrackingScalingPolicy,
} from 'aws-cdk-lib/aws-applicationautoscaling';
import { type IRepository, Repository } from 'aws-cdk-lib/aws-ecr';
import { Grant, type IGrantable, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnEndpoint, CfnEndpointConfig, CfnModel } from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import {
  catalogProblems,
  type GpuModelEntry,
  modelsPrefixOf,
  type RegionalImage,
  TRITON_IMAGE,
} from '../../models/catalog';
import { DEFAULT_LOG_RETENTION } from '../lambda-defaults';
import { Problems } from '../validation';
import type { ArtifactBucket } from './artifact-bucket';

/** The one production variant of every platform endpoint. */
export const VARIANT_NAME = 'AllTraffic';

export interface GpuEndpointProps {
  readonly entry: GpuModelEntry;
  /** Name of the SageMaker endpoint (see `endpointNameFor()`). */
  readonly endpointName: string;
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
 * One GPU endpoint of the catalog: a SageMaker real-time multi-model endpoint running
 * Triton (model in `MultiModel` mode over the entry's S3 prefix, endpoint configuration,
 * endpoint), target-tracking auto scaling on invocations per instance, and an execution
 * role that may read the archives under its own prefix, pull the serving image and write
 * its own log group. The prefix may be empty: SageMaker loads a model (`TargetModel`) on
 * its first invocation, so the endpoint deploys before any model is registered.
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
    props.artifacts.grantReadEndpointModels(this.role, this.modelsPrefix);
    const image = regionalImage(this, entry.image ?? TRITON_IMAGE);
    image.repository.grantPull(this.role);

    this.logGroup = new LogGroup(this, 'Logs', {
      logGroupName: `/aws/sagemaker/Endpoints/${props.endpointName}`,
      retention: props.logRetention ?? DEFAULT_LOG_RETENTION,
      // Container logs only; destroying them lets a later deployment recreate the same name.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.logGroup.grantWrite(this.role);
    this.logGroup.grant(this.role, 'logs:DescribeLogStreams');

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
      // Application Auto Scaling's service-linked role for SageMaker (created on first use).
      role: Role.fromRoleArn(
        this,
        'AutoScalingRole',
        stack.formatArn({
          service: 'iam',
          region: '',
          resource: 'role',
          resourceName:
            'aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint',
        }),
        { mutable: false },
      ),
    });
    this.scaling.node.addDependency(this.endpoint);
    this.scalingPolicy = this.scaling.scaleToTrackMetric('InvocationsPerInstance', {
      predefinedMetric: PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE,
      targetValue: entry.targetInvocationsPerInstance,
      scaleOutCooldown: props.scaleOutCooldown ?? Duration.minutes(1),
      scaleInCooldown: props.scaleInCooldown ?? Duration.minutes(5),
    });

    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ecr:GetAuthorizationToken (needed to pull the Triton image) supports no resource-level permissions; the image pull actions are limited to the sagemaker-tritonserver repository and S3 reads to this endpoint’s own prefix of model archives.',
    });
  }

  /** Allows `grantee` to invoke this endpoint, and nothing else of SageMaker. */
  public grantInvoke(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: ['sagemaker:InvokeEndpoint'],
      resourceArns: [this.endpointArn],
    });
  }
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
