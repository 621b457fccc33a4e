import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Function as LambdaFunction, Code, Runtime } from 'aws-cdk-lib/aws-lambda';
import { ROUTES } from '../../functions/routes';
import { ArtifactBucket } from '../../infra/constructs/artifact-bucket';
import { GpuEndpoint } from '../../infra/constructs/gpu-endpoint';
import { PlatformHttpApi } from '../../infra/constructs/http-api';
import { PlatformFunction } from '../../infra/constructs/platform-function';
import { PropsValidationError } from '../../infra/validation';
import { GPU_CATALOG, type GpuModelEntry } from '../../models/catalog';
import { at } from './support/app';

function problemsOf(build: () => unknown): readonly string[] {
  try {
    build();
  } catch (error) {
    if (error instanceof PropsValidationError) return error.problems;
    throw error;
  }
  throw new Error('expected a PropsValidationError');
}

function stack(): Stack {
  return new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');
}

describe('GpuEndpoint', () => {
  const [entry] = GPU_CATALOG;
  const ocrRec: GpuModelEntry = entry ?? {
    name: 'ocr-rec',
    description: '',
    minInstances: 1,
    maxInstances: 2,
    targetInvocationsPerInstance: 600,
  };

  it('builds a multi-model endpoint over the entry’s prefix, config, endpoint and target tracking, with the image from a region map', () => {
    const scope = stack();
    const artifacts = new ArtifactBucket(scope, 'Artifacts');

    new GpuEndpoint(scope, 'OcrRec', {
      entry: ocrRec,
      endpointName: 'infergate-test-ocr-rec',
      artifacts,
      defaultInstanceType: 'ml.g5.xlarge',
    });

    const template = Template.fromStack(scope);
    template.hasResourceProperties('AWS::SageMaker::Model', {
      EnableNetworkIsolation: true,
      PrimaryContainer: {
        Image: Match.objectLike({ 'Fn::Join': Match.anyValue() }),
        Mode: 'MultiModel',
        ModelDataUrl: { 'Fn::Join': ['', ['s3://', Match.anyValue(), `/sagemaker/${ocrRec.name}/`]] },
      },
    });
    expect(JSON.stringify(template.toJSON())).toContain('"Fn::FindInMap"');
    expect(JSON.stringify(at(template.toJSON(), 'Mappings'))).toContain('763104351884');
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [
        Match.objectLike({
          InitialInstanceCount: ocrRec.minInstances,
          InstanceType: 'ml.g5.xlarge',
          VariantName: 'AllTraffic',
        }),
      ],
    });
    template.hasResourceProperties('AWS::SageMaker::Endpoint', { EndpointName: 'infergate-test-ocr-rec' });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ServiceNamespace: 'sagemaker',
      ResourceId: 'endpoint/infergate-test-ocr-rec/variant/AllTraffic',
      ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      MinCapacity: ocrRec.minInstances,
      MaxCapacity: ocrRec.maxInstances,
      RoleARN: Match.objectLike({
        'Fn::Join': Match.arrayWith([
          Match.arrayWith([
            Match.stringLikeRegexp('AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint'),
          ]),
        ]),
      }),
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        TargetValue: ocrRec.targetInvocationsPerInstance,
      }),
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/aws/sagemaker/Endpoints/infergate-test-ocr-rec',
      RetentionInDays: Match.anyValue(),
    });
  });

  it('prefers the entry’s instance type to the default', () => {
    const scope = stack();
    new GpuEndpoint(scope, 'Big', {
      entry: { ...ocrRec, instanceType: 'ml.g6.2xlarge' },
      endpointName: 'infergate-test-big',
      artifacts: new ArtifactBucket(scope, 'Artifacts'),
      defaultInstanceType: 'ml.g5.xlarge',
    });

    Template.fromStack(scope).hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [Match.objectLike({ InstanceType: 'ml.g6.2xlarge' })],
    });
  });

  it('reports every invalid prop at once', () => {
    const scope = stack();
    const artifacts = new ArtifactBucket(scope, 'Artifacts');

    const problems = problemsOf(
      () =>
        new GpuEndpoint(scope, 'Bad', {
          entry: { ...ocrRec, minInstances: 3, maxInstances: 2 },
          endpointName: 'bad_name!',
          artifacts,
          defaultInstanceType: 'gpu',
        }),
    );

    expect(problems).toEqual([
      expect.stringContaining('maxInstances'),
      expect.stringContaining('endpointName'),
      expect.stringContaining('instance type'),
    ]);
  });
});

describe('PlatformHttpApi', () => {
  it('reports every invalid route at once', () => {
    const scope = stack();
    const fn = new LambdaFunction(scope, 'Fn', {
      runtime: Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: Code.fromInline('export const handler = async () => ({});'),
    });

    const problems = problemsOf(
      () =>
        new PlatformHttpApi(scope, 'Api', {
          routes: [
            { method: 'GET', path: 'no-slash', fn: 'inference' },
            { method: 'GET', path: '/twice', fn: 'inference' },
            { method: 'GET', path: '/twice', fn: 'inference' },
          ],
          functions: { inference: fn, admin: fn },
          defaultFunction: 'inference',
          throttle: { rateLimit: 0, burstLimit: 0 },
        }),
    );

    expect(problems).toEqual([
      expect.stringContaining('must start with /'),
      expect.stringContaining('appears twice'),
      expect.stringContaining('rateLimit'),
      expect.stringContaining('burstLimit'),
    ]);
  });

  it('gives the API one invoke permission per function, not one per route', () => {
    const scope = stack();
    const inference = new LambdaFunction(scope, 'Inference', {
      runtime: Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: Code.fromInline('export const handler = async () => ({});'),
    });
    const admin = new LambdaFunction(scope, 'Admin', {
      runtime: Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: Code.fromInline('export const handler = async () => ({});'),
    });

    new PlatformHttpApi(scope, 'Api', {
      routes: ROUTES,
      functions: { inference, admin },
      defaultFunction: 'inference',
    });

    Template.fromStack(scope).resourceCountIs('AWS::Lambda::Permission', 2);
  });
});

describe('PlatformFunction', () => {
  it('reports every invalid prop at once', () => {
    const scope = stack();

    const problems = problemsOf(
      () =>
        new PlatformFunction(scope, 'Bad', {
          entry: '/abs/handler.js',
          description: 'bad',
          serviceName: 'bad',
          memorySize: 64,
        }),
    );

    expect(problems).toEqual([
      expect.stringContaining('TypeScript'),
      expect.stringContaining('relative'),
      expect.stringContaining('memorySize'),
    ]);
  });
});

describe('ArtifactBucket', () => {
  it('reports every invalid lifecycle setting at once', () => {
    const scope = stack();

    const problems = problemsOf(
      () =>
        new ArtifactBucket(scope, 'Bad', {
          lifecycle: {
            abortIncompleteUploadsAfter: Duration.hours(1),
            expireUploadsAfter: Duration.hours(1),
            noncurrentVersionsExpireAfter: Duration.hours(1),
          },
        }),
    );

    expect(problems).toHaveLength(2);
  });
});
