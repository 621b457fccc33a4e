import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  type GlobalSecondaryIndexProps,
  ProjectionType,
  TableEncryption,
  type TableProps,
} from 'aws-cdk-lib/aws-dynamodb';
import type { GsiDesign, TableDesign } from '../functions/adapters/dynamodb/table-design';

export interface RegistryTableDefaultsInput {
  readonly design: TableDesign;
  /** Protects the table from deletion and retains it when the stack goes. */
  readonly protectData: boolean;
}

/**
 * The registry table's props, derived from the table design the functions use: on-demand,
 * point-in-time recovery, encryption with the AWS managed KMS key, TTL, and — for data
 * that must survive — deletion protection and RETAIN. Pure, so a test can read it.
 */
export function registryTableProps(input: RegistryTableDefaultsInput): TableProps {
  const { design } = input;
  return {
    partitionKey: { name: design.partitionKey, type: AttributeType.STRING },
    sortKey: { name: design.sortKey, type: AttributeType.STRING },
    billingMode: BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: TableEncryption.AWS_MANAGED,
    timeToLiveAttribute: design.timeToLiveAttribute,
    deletionProtection: input.protectData,
    removalPolicy: input.protectData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
  };
}

/** The global secondary indexes of the design, in CDK's shape. */
export function registryTableIndexes(design: TableDesign): readonly GlobalSecondaryIndexProps[] {
  return Object.values(design.globalSecondaryIndexes).map((gsi: GsiDesign) => ({
    indexName: gsi.indexName,
    partitionKey: { name: gsi.partitionKey, type: AttributeType.STRING },
    sortKey: { name: gsi.sortKey, type: AttributeType.STRING },
    projectionType: gsi.projection === 'ALL' ? ProjectionType.ALL : ProjectionType.KEYS_ONLY,
  }));
}
