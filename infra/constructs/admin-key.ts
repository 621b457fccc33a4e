import { CustomResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnSecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { FUNCTION_ARCHITECTURE, FUNCTION_RUNTIME, DEFAULT_LOG_RETENTION } from '../lambda-defaults';
import { PlatformFunction } from './platform-function';
import { SERVICE } from '../../functions/constants';
import { DEFAULT_PLANS } from '../../functions/core/plans/default-plans';
import type { RegistryTable } from './registry-table';

/** Powertools service name of the bootstrap function (not a request-serving service). */
export const BOOTSTRAP_SERVICE_NAME = SERVICE.bootstrap;

export interface AdminKeyProps {
  /** The registry table that receives the key record (hash only). */
  readonly table: RegistryTable;
  /** Key encrypting the secret. */
  readonly encryptionKey: IKey;
  /** @default RemovalPolicy.DESTROY */
  readonly removalPolicy?: RemovalPolicy;
  /** @default three months */
  readonly logRetention?: RetentionDays;
}

/**
 * The bootstrap admin key: a Secrets Manager secret created empty (no value in the
 * template, none generated), and a custom resource whose handler generates the key once,
 * stores its hash in the registry and its plaintext in the secret. Nothing secret flows
 * through CloudFormation: the response carries the key id only. Operators read the
 * secret with their own credentials.
 */
export class AdminKey extends Construct {
  public readonly secret: Secret;
  public readonly bootstrapFunction: PlatformFunction;
  public readonly provider: Provider;
  public readonly resource: CustomResource;
  /** Id of the bootstrap key (public: it is the middle part of the key). */
  public readonly keyId: string;

  public constructor(scope: Construct, id: string, props: AdminKeyProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;
    const logRetention = props.logRetention ?? DEFAULT_LOG_RETENTION;

    this.secret = new Secret(this, 'Secret', {
      description: 'Infergate bootstrap admin API key (written once by the bootstrap custom resource)',
      encryptionKey: props.encryptionKey,
      removalPolicy,
    });
    const cfnSecret = this.secret.node.defaultChild;
    if (!(cfnSecret instanceof CfnSecret)) throw new Error('Secret has no CfnSecret');
    // The L2 generates a random value by default; the value comes from the custom resource instead.
    cfnSecret.addPropertyDeletionOverride('GenerateSecretString');
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The secret holds an Infergate API key, not a service credential: rotating it means issuing a new admin key through POST /admin/keys and revoking this one (revocation holds within the 60 s key cache TTL); a Secrets Manager rotation Lambda could not revoke the old key in the registry.',
    });

    this.bootstrapFunction = new PlatformFunction(this, 'Bootstrap', {
      entry: 'functions/bootstrap/handler.ts',
      description: 'Issues the bootstrap admin key (CloudFormation custom resource)',
      serviceName: BOOTSTRAP_SERVICE_NAME,
      memorySize: 256,
      timeout: Duration.seconds(60),
      logRetention,
      logRemovalPolicy: removalPolicy,
    });
    props.table.grantWriteData(this.bootstrapFunction.function);
    this.secret.grantWrite(this.bootstrapFunction.function);

    const frameworkLogs = new LogGroup(this, 'ProviderLogs', { retention: logRetention, removalPolicy });
    const frameworkRole = new Role(this, 'ProviderRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Custom resource provider framework of the bootstrap admin key',
    });
    frameworkLogs.grantWrite(frameworkRole);
    this.provider = new Provider(this, 'Provider', {
      onEventHandler: this.bootstrapFunction.function,
      frameworkOnEventRole: frameworkRole,
      logGroup: frameworkLogs,
    });
    pinFrameworkRuntime(this.provider);
    Validations.of(frameworkRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(this.bootstrapFunction.function.node.defaultChild)}.Arn>:*]`,
      reason:
        'The CDK provider framework may invoke any version or alias of the bootstrap function (lambda:InvokeFunction on <function ARN>:*); it may invoke no other function.',
    });

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: this.provider.serviceToken,
      resourceType: 'Custom::InfergateBootstrapAdminKey',
      properties: {
        TableName: props.table.table.tableName,
        SecretId: this.secret.secretArn,
        // The function also writes the default plans that are missing. Naming them here makes
        // a deploy that adds plans (including the upgrade from a version without any) an
        // Update, so existing stacks get them too.
        DefaultPlans: DEFAULT_PLANS.map((plan) => plan.planId).join(','),
      },
    });
    this.keyId = this.resource.getAttString('KeyId');
  }
}

/**
 * The provider framework picks the newest Node.js runtime on x86_64; its handler is plain
 * JavaScript without native code, so it runs as every other platform function does.
 */
function pinFrameworkRuntime(provider: Provider): void {
  for (const child of provider.node.findAll()) {
    if (child instanceof CfnFunction) {
      child.addPropertyOverride('Runtime', FUNCTION_RUNTIME.name);
      child.addPropertyOverride('Architectures', [FUNCTION_ARCHITECTURE.name]);
    }
  }
}

function logicalIdOf(construct: unknown): string {
  if (!(construct instanceof CfnFunction)) throw new Error('expected a CfnFunction');
  const resolved: unknown = Stack.of(construct).resolve(construct.logicalId);
  if (typeof resolved !== 'string') throw new Error('logical id did not resolve to a string');
  return resolved;
}
