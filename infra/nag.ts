import { CfnResource, Stack, Validations } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct, type IConstruct } from 'constructs';

/**
 * How cdk-nag names a resource's ARN in an IAM5 finding: `<LogicalId.Arn>`.
 *
 * @example
 * acknowledgeGrant(fn, `Resource::${nagArn(table)}/index/*`, 'the GSIs of the registry table');
 */
export function nagArn(construct: IConstruct): string {
  const resource = construct instanceof CfnResource ? construct : construct.node.defaultChild;
  if (!(resource instanceof CfnResource))
    throw new Error(`${construct.node.path} has no CloudFormation resource`);
  const logicalId: unknown = Stack.of(resource).resolve(resource.logicalId);
  if (typeof logicalId !== 'string') throw new Error(`${resource.node.path}: logical id is not a string`);
  return `<${logicalId}.Arn>`;
}

/**
 * Acknowledges one AwsSolutions-IAM5 finding (`Action::...` or `Resource::...`) on the
 * principal a grant went to, next to the grant that caused it, with the reason it is fine.
 */
export function acknowledgeGrant(grantee: IGrantable, finding: string, reason: string): void {
  const principal = grantee.grantPrincipal;
  if (!Construct.isConstruct(principal)) throw new Error('the grantee principal is not a construct');
  Validations.of(principal).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
}
