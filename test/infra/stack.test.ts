import { Match, type Template } from 'aws-cdk-lib/assertions';
import { TABLE_DESIGN } from '../../functions/adapters/dynamodb/table-design';
import { ENV, SERVICE, USAGE_METRICS, USAGE_SPILL_PREFIX } from '../../functions/constants';
import { ROUTES } from '../../functions/routes';
import { GPU_CATALOG } from '../../models/catalog';
import { accessLogFields, DEFAULT_THROTTLE } from '../../infra/api-defaults';
import { METRICS_NAMESPACE } from '../../infra/lambda-defaults';
import {
  asArray,
  at,
  identityStatements,
  isRecord,
  onlyLogicalId,
  resourcesOf,
  roleOfFunction,
  statementsOfRole,
  synthApp,
} from './support/app';

describe('InfergateStack', () => {
  let dev: Template;
  let prod: Template;
  let noGpu: Template;

  beforeAll(() => {
    dev = synthApp().template;
    prod = synthApp({ stage: 'prod', alarmEmail: 'ops@example.com' }).template;
    noGpu = synthApp({ gpuEndpoints: 'false' }).template;
  });

  describe('registry table', () => {
    it('is on-demand, encrypted with KMS, with PITR, TTL and the GSIs of TABLE_DESIGN', () => {
      dev.hasResourceProperties('AWS::DynamoDB::Table', {
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: TABLE_DESIGN.timeToLiveAttribute, Enabled: true },
        KeySchema: [
          { AttributeName: TABLE_DESIGN.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE_DESIGN.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: Object.values(TABLE_DESIGN.globalSecondaryIndexes).map((gsi) => ({
          IndexName: gsi.indexName,
          KeySchema: [
            { AttributeName: gsi.partitionKey, KeyType: 'HASH' },
            { AttributeName: gsi.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: gsi.projection },
        })),
      });
    });

    it('has deletion protection and RETAIN in prod', () => {
      prod.hasResource('AWS::DynamoDB::Table', {
        Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
    });

    it('can be deleted with the stack in dev', () => {
      dev.hasResource('AWS::DynamoDB::Table', {
        Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
        DeletionPolicy: 'Delete',
      });
    });
  });

  describe('artifact bucket', () => {
    it('blocks public access, encrypts, versions and logs to the access log bucket', () => {
      const logBucket = resourcesOf(dev, 'AWS::S3::Bucket').find(
        ([, bucket]) => at(bucket, 'Properties', 'LoggingConfiguration') === undefined,
      );
      expect(logBucket).toBeDefined();
      dev.hasResourceProperties('AWS::S3::Bucket', {
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        VersioningConfiguration: { Status: 'Enabled' },
        LoggingConfiguration: { DestinationBucketName: { Ref: logBucket?.[0] } },
      });
    });

    it('encrypts and blocks public access on every bucket, and keeps both in every stage', () => {
      for (const template of [dev, prod]) {
        const buckets = resourcesOf(template, 'AWS::S3::Bucket');
        expect(buckets).toHaveLength(2);
        for (const [, bucket] of buckets) {
          expect(at(bucket, 'Properties', 'BucketEncryption')).toBeDefined();
          expect(at(bucket, 'Properties', 'PublicAccessBlockConfiguration', 'RestrictPublicBuckets')).toBe(
            true,
          );
          expect(at(bucket, 'DeletionPolicy')).toBe('Retain');
        }
      }
    });

    it('aborts incomplete multipart uploads, expires stale uploads and noncurrent versions', () => {
      dev.hasResourceProperties('AWS::S3::Bucket', {
        LifecycleConfiguration: {
          Rules: Match.arrayWith([
            Match.objectLike({
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
              Status: 'Enabled',
            }),
            Match.objectLike({ Prefix: 'uploads/', ExpirationInDays: 2, Status: 'Enabled' }),
            Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 30 }, Status: 'Enabled' }),
          ]),
        },
      });
    });

    it('denies every request without TLS on both buckets', () => {
      const policies = resourcesOf(dev, 'AWS::S3::BucketPolicy');
      expect(policies).toHaveLength(2);
      for (const [, policy] of policies) {
        const statements = asArray(at(policy, 'Properties', 'PolicyDocument', 'Statement'));
        expect(statements).toContainEqual(
          expect.objectContaining({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        );
      }
    });
  });

  describe('encryption of the topic and the secret', () => {
    it('encrypts the alarm topic with the platform key and denies publishing without TLS', () => {
      const key = onlyLogicalId(dev, 'AWS::KMS::Key');
      dev.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] } });
      dev.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    });

    it('rotates the platform key and lets CloudWatch use it for alarm notifications', () => {
      dev.hasResourceProperties('AWS::KMS::Key', {
        EnableKeyRotation: true,
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            }),
          ]),
        },
      });
    });

    it('encrypts the admin key secret with the platform key and puts no value in the template', () => {
      const key = onlyLogicalId(dev, 'AWS::KMS::Key');
      const [[, secret] = ['', {}]] = resourcesOf(dev, 'AWS::SecretsManager::Secret');
      expect(at(secret, 'Properties', 'KmsKeyId')).toEqual({ 'Fn::GetAtt': [key, 'Arn'] });
      expect(at(secret, 'Properties', 'SecretString')).toBeUndefined();
      expect(at(secret, 'Properties', 'GenerateSecretString')).toBeUndefined();
      expect(JSON.stringify(dev.toJSON())).not.toMatch(/igk_[0-9a-f]{16}_/);
    });

    it('retains the secret and the key in prod', () => {
      prod.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain' });
      prod.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
    });
  });

  describe('functions', () => {
    it('runs every function on nodejs22.x and arm64', () => {
      for (const template of [dev, prod, noGpu]) {
        const functions = resourcesOf(template, 'AWS::Lambda::Function');
        expect(functions.length).toBeGreaterThanOrEqual(4);
        for (const [, fn] of functions) {
          expect(at(fn, 'Properties', 'Runtime')).toBe('nodejs22.x');
          expect(at(fn, 'Properties', 'Architectures')).toEqual(['arm64']);
        }
      }
    });

    it('sends every function log to its own log group, and every log group has a retention', () => {
      const groups = new Set(resourcesOf(dev, 'AWS::Logs::LogGroup').map(([id]) => id));
      for (const [, fn] of resourcesOf(dev, 'AWS::Lambda::Function')) {
        const group = at(fn, 'Properties', 'LoggingConfig', 'LogGroup', 'Ref');
        expect(typeof group === 'string' && groups.has(group)).toBe(true);
      }
      for (const [, group] of resourcesOf(dev, 'AWS::Logs::LogGroup')) {
        expect(at(group, 'Properties', 'RetentionInDays')).toEqual(expect.any(Number));
      }
    });

    it('traces with X-Ray and configures Powertools; environment names come from ENV', () => {
      const allowed = new Set<string>([
        ...Object.values(ENV),
        'POWERTOOLS_SERVICE_NAME',
        'POWERTOOLS_METRICS_NAMESPACE',
        'NODE_OPTIONS',
      ]);
      const platform = resourcesOf(dev, 'AWS::Lambda::Function').filter(([id]) => !id.includes('Provider'));
      expect(platform).toHaveLength(4);
      for (const [, fn] of platform) {
        expect(at(fn, 'Properties', 'TracingConfig', 'Mode')).toBe('Active');
        const variables = at(fn, 'Properties', 'Environment', 'Variables');
        expect(at(variables, 'POWERTOOLS_METRICS_NAMESPACE')).toBe(METRICS_NAMESPACE);
        for (const name of Object.keys(isRecord(variables) ? variables : {})) expect(allowed).toContain(name);
      }
    });

    it('sizes the inference function from context and keeps both API functions under the 30 s integration timeout', () => {
      const large = synthApp({ inferenceMemoryMb: '3008' }).template;
      large.hasResourceProperties('AWS::Lambda::Function', {
        MemorySize: 3008,
        Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: SERVICE.inference }) },
      });
      dev.hasResourceProperties('AWS::Lambda::Function', {
        MemorySize: 2048,
        Timeout: 28,
        Environment: {
          Variables: Match.objectLike({
            POWERTOOLS_SERVICE_NAME: SERVICE.inference,
            [ENV.KEY_CACHE_TTL_SECONDS]: '60',
            [ENV.ORT_WASM_DIR]: '/var/task',
            // Usage rows after the response: the in-process extension holds the invocation.
            [ENV.METER_AFTER_RESPONSE]: 'true',
          }),
        },
      });
      // The admin function validates models on onnxruntime-web: the inference function's memory and WASM files.
      dev.hasResourceProperties('AWS::Lambda::Function', {
        MemorySize: 2048,
        Timeout: 28,
        Environment: {
          Variables: Match.objectLike({
            POWERTOOLS_SERVICE_NAME: SERVICE.admin,
            [ENV.ORT_WASM_DIR]: '/var/task',
            [ENV.ORT_NUM_THREADS]: '1',
          }),
        },
      });
      large.hasResourceProperties('AWS::Lambda::Function', {
        MemorySize: 3008,
        Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: SERVICE.admin }) },
      });
    });
  });

  describe('usage replay', () => {
    it('runs the replay function every minute, without retries (the next run replays what is left)', () => {
      const [[replay] = ['']] = resourcesOf(dev, 'AWS::Lambda::Function').filter(([id]) =>
        id.startsWith('UsageReplayFunction'),
      );
      dev.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(1 minute)',
        State: 'ENABLED',
        Targets: [
          Match.objectLike({
            Arn: { 'Fn::GetAtt': [replay, 'Arn'] },
            RetryPolicy: { MaximumRetryAttempts: 0 },
          }),
        ],
      });
      dev.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [replay, 'Arn'] },
        Principal: 'events.amazonaws.com',
      });
      dev.hasResourceProperties('AWS::Lambda::Function', {
        Timeout: 60,
        Environment: {
          Variables: Match.objectLike({
            POWERTOOLS_SERVICE_NAME: SERVICE.usageReplay,
            [ENV.TABLE_NAME]: { Ref: onlyLogicalId(dev, 'AWS::DynamoDB::Table') },
          }),
        },
      });
    });
  });

  describe('IAM', () => {
    const WILDCARD_RESOURCE_ACTIONS = new Set([
      // No resource-level permissions exist for these.
      'xray:PutTraceSegments',
      'xray:PutTelemetryRecords',
      'ecr:GetAuthorizationToken',
    ]);

    it('grants no "*" action anywhere and "*" resources only to actions without resource-level permissions', () => {
      for (const template of [dev, prod]) {
        for (const { statement } of identityStatements(template)) {
          const actions = asArray(statement.Action).map(String);
          for (const action of actions) expect(action === '*' || action.endsWith(':*')).toBe(false);
          if (asArray(statement.Resource).includes('*')) {
            for (const action of actions) expect(WILDCARD_RESOURCE_ACTIONS).toContain(action);
          }
        }
      }
    });

    it('names the table, the bucket or the secret in every statement about them', () => {
      const dataResources = [
        onlyLogicalId(dev, 'AWS::DynamoDB::Table'),
        onlyLogicalId(dev, 'AWS::SecretsManager::Secret'),
        ...resourcesOf(dev, 'AWS::S3::Bucket').map(([id]) => id),
      ];
      const statements = identityStatements(dev).filter(({ statement }) =>
        dataResources.some((id) => JSON.stringify(statement.Resource).includes(id)),
      );
      expect(statements.length).toBeGreaterThan(0);
      for (const { statement } of statements) {
        expect(asArray(statement.Resource)).not.toContain('*');
        for (const action of asArray(statement.Action).map(String)) {
          expect(action === '*' || action.endsWith(':*')).toBe(false);
        }
      }
    });

    it('lets the inference function read artifacts/* only, put only spilled usage, and invoke only the platform endpoints', () => {
      const statements = statementsOfRole(dev, roleOfFunction(dev, 'InferenceFunction'));
      const s3 = JSON.stringify(
        statements.filter((s) => asArray(s.Action).some((a) => String(a).startsWith('s3:'))),
      );
      expect(s3).toContain('/artifacts/*');
      expect(s3).not.toContain('/uploads/*');
      expect(s3).not.toMatch(/s3:DeleteObject/);
      const puts = statements.filter((s) => asArray(s.Action).some((a) => String(a).startsWith('s3:Put')));
      expect(puts.map((s) => asArray(s.Action))).toEqual([['s3:PutObject']]);
      expect(JSON.stringify(puts[0]?.Resource)).toContain(`/${USAGE_SPILL_PREFIX}*`);
      expect(JSON.stringify(puts[0]?.Resource)).not.toContain('/artifacts/');
      const invoke = statements.filter((s) => asArray(s.Action).includes('sagemaker:InvokeEndpoint'));
      // One statement per endpoint; a component-based one also names its inference component.
      expect(invoke).toHaveLength(GPU_CATALOG.length);
      expect(JSON.stringify(invoke[0]?.Resource)).toContain(
        `:endpoint/infergate-dev-${GPU_CATALOG[0]?.name}`,
      );
      for (const entry of GPU_CATALOG.filter((candidate) => candidate.inferenceComponent !== undefined)) {
        expect(JSON.stringify(invoke)).toContain(`:inference-component/infergate-dev-${entry.name}-ic"`);
      }
      const sagemakerActions = statements
        .flatMap((s) => asArray(s.Action).map(String))
        .filter((a) => a.startsWith('sagemaker:'));
      expect(new Set(sagemakerActions)).toEqual(new Set(['sagemaker:InvokeEndpoint']));
    });

    it('lets the inference function read the table but write only usage counters', () => {
      const statements = statementsOfRole(dev, roleOfFunction(dev, 'InferenceFunction'));
      const dynamo = statements.filter((s) =>
        asArray(s.Action).some((a) => String(a).startsWith('dynamodb:')),
      );
      const writes = dynamo.filter((s) =>
        asArray(s.Action).some((a) =>
          /dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem)/.test(String(a)),
        ),
      );

      expect(writes).toHaveLength(1);
      expect(asArray(writes[0]?.Action)).toEqual(['dynamodb:UpdateItem']);
      expect(at(writes[0], 'Condition', 'ForAllValues:StringLike', 'dynamodb:LeadingKeys')).toEqual([
        'USAGE#*',
      ]);
      expect(dynamo.some((s) => asArray(s.Action).includes('dynamodb:GetItem'))).toBe(true);
    });

    it('lets the usage replay function update only usage counters, and list, read and delete only spill/usage/*', () => {
      const statements = statementsOfRole(dev, roleOfFunction(dev, 'UsageReplayFunction'));
      const data = statements.filter((s) => asArray(s.Action).some((a) => /^(dynamodb|s3):/.test(String(a))));
      const bucket = resourcesOf(dev, 'AWS::S3::Bucket').find(
        ([, b]) => at(b, 'Properties', 'LoggingConfiguration') !== undefined,
      )?.[0];

      expect(data).toEqual([
        expect.objectContaining({
          Action: 'dynamodb:UpdateItem',
          Resource: { 'Fn::GetAtt': [onlyLogicalId(dev, 'AWS::DynamoDB::Table'), 'Arn'] },
          Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['USAGE#*'] } },
        }),
        expect.objectContaining({
          Action: 's3:ListBucket',
          Resource: { 'Fn::GetAtt': [bucket, 'Arn'] },
          Condition: { StringLike: { 's3:prefix': [`${USAGE_SPILL_PREFIX}*`] } },
        }),
        expect.objectContaining({
          Action: ['s3:GetObject', 's3:DeleteObject'],
          Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, `/${USAGE_SPILL_PREFIX}*`]] },
        }),
      ]);
    });

    it('lets the admin function read and write uploads/* and artifacts/*', () => {
      const statements = statementsOfRole(dev, roleOfFunction(dev, 'AdminFunction'));
      const writes = statements.filter((s) => asArray(s.Action).includes('s3:PutObject'));
      const resources = JSON.stringify(writes.map((s) => s.Resource));
      expect(resources).toContain('/uploads/*');
      expect(resources).toContain('/artifacts/*');
      expect(JSON.stringify(statements)).not.toContain('sagemaker:');
      expect(JSON.stringify(statements)).not.toContain('secretsmanager:');
    });

    it('limits the SageMaker execution role to its own prefix of model archives and the Triton repository', () => {
      const [entry] = GPU_CATALOG;
      const [[role] = ['']] = resourcesOf(dev, 'AWS::IAM::Role').filter(([, r]) =>
        JSON.stringify(at(r, 'Properties', 'AssumeRolePolicyDocument')).includes('sagemaker.amazonaws.com'),
      );
      const statements = statementsOfRole(dev, role);
      const s3 = statements.filter((s) => asArray(s.Action).some((a) => String(a).startsWith('s3:')));
      const objectArns = s3
        .flatMap((s) => asArray(s.Resource))
        .map((r) => JSON.stringify(r))
        .filter((r) => r.includes('/'));
      expect(objectArns).toEqual([expect.stringContaining(`"/sagemaker/${entry?.name}/*"`)]);
      expect(JSON.stringify(s3)).not.toMatch(/s3:(PutObject|DeleteObject)/);
      const pull = statements.find((s) => asArray(s.Action).includes('ecr:BatchGetImage'));
      expect(JSON.stringify(pull?.Resource)).toContain(':repository/sagemaker-tritonserver');
    });

    it('lets the admin function store model archives under the GPU endpoints’ prefixes only', () => {
      const statements = statementsOfRole(dev, roleOfFunction(dev, 'AdminFunction'));
      const writes = JSON.stringify(
        statements.filter((s) => asArray(s.Action).includes('s3:PutObject')).map((s) => s.Resource),
      );
      // Only multi-model endpoints take archives at registration; a component serves its deployed model.
      for (const entry of GPU_CATALOG) {
        if (entry.inferenceComponent === undefined) expect(writes).toContain(`/sagemaker/${entry.name}/*`);
        else expect(writes).not.toContain(`/sagemaker/${entry.name}/`);
      }
      expect(writes).not.toMatch(/"\/sagemaker\/\*"/);
      const noGpuWrites = JSON.stringify(statementsOfRole(noGpu, roleOfFunction(noGpu, 'AdminFunction')));
      expect(noGpuWrites).not.toContain('/sagemaker/');
    });

    it('tells both functions the GPU endpoints, and neither when there are none', () => {
      const expected = GPU_CATALOG.map(
        (entry) =>
          `${entry.name}=infergate-dev-${entry.name}${
            entry.inferenceComponent === undefined
              ? ''
              : `/infergate-dev-${entry.name}-ic@${entry.inferenceComponent.artifact.sha256}`
          }`,
      ).join(',');
      for (const fn of ['InferenceFunction', 'AdminFunction']) {
        const [[, resource] = ['', {}]] = resourcesOf(dev, 'AWS::Lambda::Function').filter(([id]) =>
          id.startsWith(fn),
        );
        expect(at(resource, 'Properties', 'Environment', 'Variables', ENV.SAGEMAKER_ENDPOINTS)).toBe(
          expected,
        );
        const [[, bare] = ['', {}]] = resourcesOf(noGpu, 'AWS::Lambda::Function').filter(([id]) =>
          id.startsWith(fn),
        );
        expect(at(bare, 'Properties', 'Environment', 'Variables', ENV.SAGEMAKER_ENDPOINTS)).toBeUndefined();
      }
    });

    it('gives the admin key secret to the bootstrap function only, write-only', () => {
      const secret = onlyLogicalId(dev, 'AWS::SecretsManager::Secret');
      const users = identityStatements(dev).filter(({ statement }) =>
        JSON.stringify(statement.Resource).includes(secret),
      );
      expect(
        users.map(({ policy }) => policy).every((policy) => policy.startsWith('AdminKeyBootstrap')),
      ).toBe(true);
      for (const { statement } of users)
        expect(asArray(statement.Action)).not.toContain('secretsmanager:GetSecretValue');
    });
  });

  describe('HTTP API', () => {
    it('has one route per ROUTES entry and $default, all Lambda proxy integrations without an authorizer', () => {
      const routes = resourcesOf(dev, 'AWS::ApiGatewayV2::Route').map(([, route]) =>
        at(route, 'Properties', 'RouteKey'),
      );
      expect(routes.sort()).toEqual([...ROUTES.map((r) => `${r.method} ${r.path}`), '$default'].sort());
      for (const [, route] of resourcesOf(dev, 'AWS::ApiGatewayV2::Route')) {
        expect(at(route, 'Properties', 'AuthorizationType')).toBe('NONE');
      }
      dev.resourceCountIs('AWS::ApiGatewayV2::Integration', 2);
      dev.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
      });
    });

    it('sends $default to the inference function', () => {
      const [[, route] = ['', {}]] = resourcesOf(dev, 'AWS::ApiGatewayV2::Route').filter(
        ([, r]) => at(r, 'Properties', 'RouteKey') === '$default',
      );
      const integrationId = at(route, 'Properties', 'Target', 'Fn::Join', 1, 1, 'Ref');
      const integration = resourcesOf(dev, 'AWS::ApiGatewayV2::Integration').find(
        ([id]) => id === integrationId,
      );
      expect(JSON.stringify(at(integration?.[1], 'Properties', 'IntegrationUri'))).toContain(
        'InferenceFunction',
      );
    });

    it('throttles the default route and writes JSON access logs with a retention', () => {
      const logGroup = resourcesOf(dev, 'AWS::Logs::LogGroup').find(([id]) =>
        id.startsWith('HttpAccessLogs'),
      );
      expect(logGroup).toBeDefined();
      dev.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: {
          ThrottlingRateLimit: DEFAULT_THROTTLE.rateLimit,
          ThrottlingBurstLimit: DEFAULT_THROTTLE.burstLimit,
        },
        AccessLogSettings: {
          DestinationArn: { 'Fn::GetAtt': [logGroup?.[0], 'Arn'] },
          Format: JSON.stringify(accessLogFields()),
        },
      });
      const fields = accessLogFields();
      expect(fields).toMatchObject({
        requestId: '$context.requestId',
        routeKey: '$context.routeKey',
        status: '$context.status',
        responseLatency: '$context.responseLatency',
        integrationRequestId: '$context.integration.requestId',
        integrationStatus: '$context.integration.status',
      });
    });
  });

  describe('GPU endpoints', () => {
    it('creates model, endpoint config, endpoint and scaling per catalog entry', () => {
      dev.resourceCountIs('AWS::SageMaker::Model', GPU_CATALOG.length);
      dev.resourceCountIs('AWS::SageMaker::EndpointConfig', GPU_CATALOG.length);
      dev.resourceCountIs('AWS::SageMaker::Endpoint', GPU_CATALOG.length);
      dev.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
        TargetTrackingScalingPolicyConfiguration: Match.objectLike({
          PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
        }),
      });
    });

    it('leaves every SageMaker resource and permission out when gpuEndpoints=false', () => {
      for (const type of [
        'AWS::SageMaker::Model',
        'AWS::SageMaker::EndpointConfig',
        'AWS::SageMaker::Endpoint',
        'AWS::ApplicationAutoScaling::ScalableTarget',
        'AWS::ApplicationAutoScaling::ScalingPolicy',
      ]) {
        noGpu.resourceCountIs(type, 0);
      }
      expect(JSON.stringify(noGpu.toJSON())).not.toContain('sagemaker:');
      expect(Object.keys(at(noGpu.toJSON(), 'Outputs') ?? {})).not.toContain(expect.stringMatching(/^Gpu/));
    });
  });

  describe('monitoring', () => {
    it('alarms on API 5xx rate, p99 latency, table throttles, SageMaker 5xx and metering, notifying the topic', () => {
      const topic = onlyLogicalId(dev, 'AWS::SNS::Topic');
      const alarms = resourcesOf(dev, 'AWS::CloudWatch::Alarm');
      expect(alarms.map(([id]) => id.replace(/[0-9A-F]{8}$/, ''))).toEqual(
        expect.arrayContaining([
          'MonitoringApi5xxRate',
          'MonitoringApiLatencyP99',
          'MonitoringTableThrottles',
          'MonitoringGpuOcrRec5xx',
          'MonitoringUsageLost',
          'MonitoringUsageSpilled',
          'MonitoringUsageSpillBacklog',
          'MonitoringUsageReplayErrors',
        ]),
      );
      // Every alarm notifies the topic, except the scaling alarms of components, which scale from zero.
      for (const [id, alarm] of alarms) {
        if (/NoCapacity[0-9A-F]{8}$/.test(id)) {
          expect(at(alarm, 'Properties', 'AlarmActions')).toEqual([
            { Ref: expect.stringMatching(/ScaleFromZero[0-9A-F]{8}$/) },
          ]);
        } else {
          expect(at(alarm, 'Properties', 'AlarmActions')).toEqual([{ Ref: topic }]);
        }
      }
      noGpu.resourceCountIs('AWS::CloudWatch::Alarm', 7);
    });

    it('alarms on the first usage event lost or spilled, and on a spill that does not drain', () => {
      const usageAlarm = (metric: string, service: string, stat: string, periods: number) =>
        dev.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Threshold: 1,
          EvaluationPeriods: periods,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          Metrics: [
            Match.objectLike({
              MetricStat: {
                Metric: {
                  Namespace: METRICS_NAMESPACE,
                  MetricName: metric,
                  Dimensions: [{ Name: 'service', Value: service }],
                },
                Period: 300,
                Stat: stat,
              },
            }),
          ],
        });
      usageAlarm(USAGE_METRICS.lost, SERVICE.inference, 'Sum', 1);
      usageAlarm(USAGE_METRICS.spilled, SERVICE.inference, 'Sum', 1);
      usageAlarm(USAGE_METRICS.spillBacklog, SERVICE.usageReplay, 'Minimum', 3);
    });

    it('saves a Logs Insights query that shows key and tenant per request id', () => {
      dev.hasResourceProperties('AWS::Logs::QueryDefinition', {
        QueryString: Match.stringLikeRegexp('requestId.*tenantId.*keyId[\\s\\S]*filter message = "request"'),
        LogGroupNames: Match.arrayWith([
          { Ref: Match.stringLikeRegexp('^InferenceLogs') },
          { Ref: Match.stringLikeRegexp('^AdminLogs') },
        ]),
      });
    });

    it('subscribes the alarm e-mail only when one is given', () => {
      dev.resourceCountIs('AWS::SNS::Subscription', 0);
      prod.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: 'ops@example.com',
      });
    });

    it('has dashboard widgets per showcase model, for the API, the table and the GPU endpoints', () => {
      const [[, dashboard] = ['', {}]] = resourcesOf(dev, 'AWS::CloudWatch::Dashboard');
      const body = JSON.stringify(at(dashboard, 'Properties', 'DashboardBody'));
      for (const text of [
        'ocr-rec: latency',
        'text-direction: latency',
        'text-direction: requests',
        'API latency',
        'DynamoDB throttles',
        'GPUUtilization',
        'ModelLatency',
        'InferenceLatency',
        'Metering: usage writes spilled, lost, replayed',
      ]) {
        expect(body).toContain(text);
      }
    });
  });

  it('outputs the API URL, table, bucket and admin key secret ARN', () => {
    for (const output of ['ApiUrl', 'TableName', 'BucketName', 'AdminKeySecretArn']) {
      expect(Object.keys(dev.findOutputs(output))).toEqual([output]);
    }
    dev.hasOutput('AdminKeySecretArn', { Value: { Ref: onlyLogicalId(dev, 'AWS::SecretsManager::Secret') } });
  });
});
