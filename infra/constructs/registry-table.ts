import { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import {
  TABLE_DESIGN,
  USAGE_KEY_PREFIX,
  type TableDesign,
} from '../../functions/adapters/dynamodb/table-design';
import { registryTableIndexes, registryTableProps } from '../dynamodb-defaults';
import { acknowledgeGrant, nagArn } from '../nag';
import { Problems } from '../validation';

export interface RegistryTableProps {
  /**
   * Deletion protection on, and the table retained when the stack is deleted (prod).
   */
  readonly protectData: boolean;
  /**
   * Key attributes, indexes and TTL attribute.
   * @default TABLE_DESIGN from functions/adapters/dynamodb/table-design.ts
   */
  readonly design?: TableDesign;
}

/**
 * The single table of the platform: registry (tenants, keys, models, versions, aliases)
 * and usage counters. The design is the same object the local platform builds its table
 * from, so the two cannot drift apart.
 */
export class RegistryTable extends Construct {
  public readonly table: Table;

  public constructor(scope: Construct, id: string, props: RegistryTableProps) {
    super(scope, id);
    const design = props.design ?? TABLE_DESIGN;
    validateDesign(design);

    this.table = new Table(this, 'Table', registryTableProps({ design, protectData: props.protectData }));
    for (const index of registryTableIndexes(design)) this.table.addGlobalSecondaryIndex(index);
  }

  /** Reads and writes of items and indexes: the request-serving functions. */
  public grantReadWriteData(grantee: IGrantable): Grant {
    const grant = this.table.grantReadWriteData(grantee);
    this.acknowledgeIndexes(grantee);
    return grant;
  }

  /**
   * The data plane: reads of every item and index, and `UpdateItem` on usage counters
   * only (`dynamodb:LeadingKeys` must start with `USAGE#`), so a compromised inference
   * function cannot write keys, models or aliases.
   */
  public grantReadDataAndMeter(grantee: IGrantable): Grant {
    const read = this.table.grantReadData(grantee);
    this.acknowledgeIndexes(grantee);
    return read.combine(
      Grant.addToPrincipal({
        grantee,
        actions: ['dynamodb:UpdateItem'],
        resourceArns: [this.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${USAGE_KEY_PREFIX}*`] } },
      }),
    );
  }

  /**
   * `UpdateItem` on usage counters only (`dynamodb:LeadingKeys` must start with `USAGE#`),
   * and no read: the usage replay function, which applies spilled usage writes.
   */
  public grantMeter(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:UpdateItem'],
      resourceArns: [this.table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${USAGE_KEY_PREFIX}*`] } },
    });
  }

  /** Writes only (PutItem, UpdateItem, ...): the bootstrap function. */
  public grantWriteData(grantee: IGrantable): Grant {
    const grant = this.table.grantWriteData(grantee);
    this.acknowledgeIndexes(grantee);
    return grant;
  }

  private acknowledgeIndexes(grantee: IGrantable): void {
    acknowledgeGrant(
      grantee,
      `Resource::${nagArn(this.table)}/index/*`,
      'The wildcard covers the global secondary indexes of this one table (listings and monthly usage), whose ARNs CDK grants as <table ARN>/index/*.',
    );
  }
}

function validateDesign(design: TableDesign): void {
  const problems = new Problems('table design');
  const names = [design.partitionKey, design.sortKey, design.timeToLiveAttribute];
  for (const gsi of Object.values(design.globalSecondaryIndexes)) {
    problems.check(
      gsi.indexName.length >= 3,
      `index name ${JSON.stringify(gsi.indexName)} is shorter than 3`,
    );
    names.push(gsi.partitionKey, gsi.sortKey);
  }
  for (const name of names) problems.check(name.length > 0, 'attribute names must not be empty');
  const indexNames = Object.values(design.globalSecondaryIndexes).map((gsi) => gsi.indexName);
  problems.check(
    new Set(indexNames).size === indexNames.length,
    `index names repeat: ${indexNames.join(', ')}`,
  );
  problems.throwIfAny();
}
