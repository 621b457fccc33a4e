import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Function as LambdaFunction, Code, Runtime } from 'aws-cdk-lib/aws-lambda';
import { unpackTritonModel } from '../../functions/core/triton/model-repository';
import { ArtifactBucket } from '../../infra/constructs/artifact-bucket';
import { GpuEndpoint } from '../../infra/constructs/gpu-endpoint';
import { PropsValidationError } from '../../infra/validation';
import {
  catalogProblems,
  GPU_CATALOG,
  type GpuModelEntry,
  type InferenceComponentEntry,
} from '../../models/catalog';
import { fixtureModel } from '../support/fixtures';

const onnxFile = fixtureModel('add-mul.onnx');
const sha256 = createHash('sha256').update(readFileSync(onnxFile)).digest('hex');
const componentSpec: InferenceComponentEntry = {
  artifact: { file: () => onnxFile, sha256, tritonName: 'add-mul' },
  minCopies: 0,
  maxCopies: 3,
  targetInvocationsPerCopy: 42,
  memoryMb: 2048,
};
const entry: GpuModelEntry = {
  name: 'add-mul-ic',
  description: 'test entry',
  minInstances: 0,
  maxInstances: 2,
  targetInvocationsPerInstance: 600,
  inferenceComponent: componentSpec,
};
const COMPONENT = 'infergate-test-add-mul-ic-ic';

function build(bundle: boolean): { stack: Stack; endpoint: GpuEndpoint; fn: LambdaFunction } {
  const app = new App({ context: bundle ? {} : { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Test');
  const artifacts = new ArtifactBucket(stack, 'Artifacts');
  const endpoint = new GpuEndpoint(stack, 'AddMul', {
    entry,
    endpointName: 'infergate-test-add-mul-ic',
    inferenceComponentName: COMPONENT,
    artifacts,
    defaultInstanceType: 'ml.g5.xlarge',
  });
  const fn = new LambdaFunction(stack, 'Fn', {
    runtime: Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: Code.fromInline('exports.handler = async () => {}'),
  });
  endpoint.grantInvoke(fn);
  return { stack, endpoint, fn };
}

describe('GpuEndpoint with an inference component (scale to zero)', () => {
  const { stack, endpoint } = build(false);
  const template = Template.fromStack(stack);

  it('configures the endpoint for components: no model on the variant, managed instance scaling down to 0', () => {
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ExecutionRoleArn: Match.anyValue(),
      ProductionVariants: [
        Match.objectEquals({
          VariantName: 'AllTraffic',
          InstanceType: 'ml.g5.xlarge',
          InitialInstanceCount: 1,
          ManagedInstanceScaling: { Status: 'ENABLED', MinInstanceCount: 0, MaxInstanceCount: 2 },
          RoutingConfig: { RoutingStrategy: 'LEAST_OUTSTANDING_REQUESTS' },
        }),
      ],
    });
    template.hasResourceProperties('AWS::SageMaker::Endpoint', { EndpointName: 'infergate-test-add-mul-ic' });
  });

  it('serves the catalog model from its synth-time asset with a single-model Triton CfnModel', () => {
    template.hasResourceProperties('AWS::SageMaker::Model', {
      EnableNetworkIsolation: true,
      PrimaryContainer: {
        Image: Match.anyValue(),
        ModelDataUrl: Match.objectLike({ 'Fn::Sub': Match.stringLikeRegexp('^s3://cdk-.*-assets-') }),
        Environment: { SAGEMAKER_TRITON_DEFAULT_MODEL_NAME: 'add-mul' },
      },
    });
    const [model] = Object.values(template.findResources('AWS::SageMaker::Model'));
    expect(JSON.stringify(model)).not.toContain('MultiModel');
  });

  it('creates the inference component with its GPU and memory, on the endpoint', () => {
    template.hasResourceProperties('AWS::SageMaker::InferenceComponent', {
      InferenceComponentName: COMPONENT,
      EndpointName: { 'Fn::GetAtt': [Match.stringLikeRegexp('AddMulEndpoint'), 'EndpointName'] },
      VariantName: 'AllTraffic',
      RuntimeConfig: { CopyCount: 1 },
      Specification: {
        ModelName: { 'Fn::GetAtt': [Match.stringLikeRegexp('AddMulModel'), 'ModelName'] },
        ComputeResourceRequirements: { MinMemoryRequiredInMb: 2048, NumberOfAcceleratorDevicesRequired: 1 },
      },
    });
  });

  it('scales the copy count between 0 and maxCopies: target tracking per copy, and a step out of zero', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ServiceNamespace: 'sagemaker',
      ResourceId: `inference-component/${COMPONENT}`,
      ScalableDimension: 'sagemaker:inference-component:DesiredCopyCount',
      MinCapacity: 0,
      MaxCapacity: 3,
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        PredefinedMetricSpecification: {
          PredefinedMetricType: 'SageMakerInferenceComponentInvocationsPerCopy',
        },
        TargetValue: 42,
      }),
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'StepScaling',
      StepScalingPolicyConfiguration: {
        AdjustmentType: 'ChangeInCapacity',
        MetricAggregationType: 'Maximum',
        Cooldown: 60,
        StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }],
      },
    });
  });

  it('wakes the component with an alarm on NoCapacityInvocationFailures that runs the step policy', () => {
    const stepPolicy = Object.keys(
      template.findResources('AWS::ApplicationAutoScaling::ScalingPolicy', {
        Properties: { PolicyType: 'StepScaling' },
      }),
    )[0];
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SageMaker',
      MetricName: 'NoCapacityInvocationFailures',
      Dimensions: [{ Name: 'InferenceComponentName', Value: COMPONENT }],
      Statistic: 'Sum',
      Period: 60,
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [{ Ref: stepPolicy }],
    });
  });

  it('lets the caller invoke the endpoint and its component, nothing else', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('FnServiceRole') }],
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'sagemaker:InvokeEndpoint',
            Resource: [
              Match.objectLike({
                'Fn::Join': ['', Match.arrayWith([':endpoint/infergate-test-add-mul-ic'])],
              }),
              Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([`:inference-component/${COMPONENT}`])] }),
            ],
          },
        ],
      },
    });
    expect(endpoint.inferenceComponentName).toBe(COMPONENT);
  });

  it('lets the execution role read only its model asset, and writes its logs under the component', () => {
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policies).not.toContain('/sagemaker/add-mul-ic/');
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 's3:GetObject',
            Resource: Match.objectLike({ 'Fn::Join': Match.anyValue() }),
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: `/aws/sagemaker/InferenceComponents/${COMPONENT}`,
    });
  });

  it('packs the catalog file as a Triton model repository at synth (local bundling)', async () => {
    const bundled = build(true);
    const asset = bundled.endpoint.modelData;
    if (asset === undefined) throw new Error('no model asset');
    const outdir = bundled.stack.node.root instanceof App ? bundled.stack.node.root.synth().directory : '';
    const staged = path.join(outdir, `asset.${asset.assetHash}.tar.gz`);

    const unpacked = await unpackTritonModel(new Uint8Array(readFileSync(staged)));

    expect(unpacked.name).toBe('add-mul');
    expect(createHash('sha256').update(unpacked.onnx).digest('hex')).toBe(sha256);
    expect(unpacked.config).toContain('KIND_GPU');
  }, 60_000);

  it('refuses an entry whose component is missing its name, and a file that differs from the catalog', () => {
    const scope = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Bad');
    const artifacts = new ArtifactBucket(scope, 'Artifacts');
    let problems: readonly string[] = [];
    try {
      new GpuEndpoint(scope, 'Bad', {
        entry,
        endpointName: 'infergate-bad',
        artifacts,
        defaultInstanceType: 'ml.g5.xlarge',
      });
    } catch (error) {
      if (error instanceof PropsValidationError) problems = error.problems;
    }
    expect(problems).toEqual([expect.stringContaining('inferenceComponentName must be given')]);

    const changed: GpuModelEntry = {
      ...entry,
      name: 'changed',
      inferenceComponent: {
        ...componentSpec,
        artifact: { file: () => onnxFile, sha256: '0'.repeat(64), tritonName: 'add-mul' },
      },
    };
    const bundling = new Stack(new App(), 'Bundled');
    expect(
      () =>
        new GpuEndpoint(bundling, 'Changed', {
          entry: changed,
          endpointName: 'infergate-changed',
          inferenceComponentName: 'infergate-changed-ic',
          artifacts: new ArtifactBucket(bundling, 'Artifacts'),
          defaultInstanceType: 'ml.g5.xlarge',
        }),
    ).toThrow(/not the catalog's 0{64}/);
  });
});

describe('GPU catalog with inference components', () => {
  it('declares a scale-to-zero entry for the PP-OCRv4 recognizer and stays valid', () => {
    const ondemand = GPU_CATALOG.find((candidate) => candidate.inferenceComponent !== undefined);

    expect(catalogProblems(GPU_CATALOG)).toEqual([]);
    expect(ondemand?.minInstances).toBe(0);
    expect(ondemand?.inferenceComponent?.minCopies).toBe(0);
    const file = ondemand?.inferenceComponent?.artifact.file() ?? '';
    expect(createHash('sha256').update(readFileSync(file)).digest('hex')).toBe(
      ondemand?.inferenceComponent?.artifact.sha256,
    );
  });

  it('allows 0 instances only to a component that may have 0 copies, and checks the component', () => {
    const base: GpuModelEntry = { ...entry, inferenceComponent: undefined };
    const problems = catalogProblems([
      { ...base, name: 'mme-zero', minInstances: 0 },
      {
        ...entry,
        name: 'bad-ic',
        inferenceComponent: {
          artifact: { file: () => onnxFile, sha256: 'abc', tritonName: 'bad name' },
          minCopies: -1,
          maxCopies: 0,
          targetInvocationsPerCopy: 0,
          memoryMb: 10,
        },
      },
    ]);

    expect(problems).toEqual([
      expect.stringContaining('mme-zero): minInstances'),
      expect.stringContaining('bad-ic): minInstances'),
      expect.stringContaining('sha256 must'),
      expect.stringContaining('tritonName must'),
      expect.stringContaining('minCopies must'),
      expect.stringContaining('maxCopies must'),
      expect.stringContaining('targetInvocationsPerCopy must'),
      expect.stringContaining('memoryMb must'),
    ]);
  });
});
