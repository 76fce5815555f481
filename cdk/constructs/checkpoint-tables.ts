import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { AUDIT_RESTORE_ID_ATTRIBUTE, AUDIT_RESTORE_ID_INDEX } from '../../shared/restore/audit-index.ts';
import { acknowledgeCheckov } from '../checkov.ts';

/**
 * Attribute names of the three tables. The full item layout (what goes in pk/sk for each item
 * kind) is the contract in docs/decisions/0002-dynamodb-table-schema.md.
 */
export const TABLE_ATTRIBUTES = {
  PARTITION_KEY: 'pk',
  SORT_KEY: 'sk',
  /** TTL attribute (epoch seconds) on checkpoint history and quarantine items. */
  TTL: 'expiresAt',
  /** Quarantine GSI `byGroup` partition key: the consumer group id. */
  GROUP_INDEX_PARTITION_KEY: 'gsi1pk',
  /** Quarantine GSI `byGroup` sort key: `{quarantinedAt}#{topic}#{partition}#{offset:020}`. */
  GROUP_INDEX_SORT_KEY: 'gsi1sk',
} as const;

/** Non-key attributes projected into the quarantine `byGroup` index. */
export const QUARANTINE_INDEX_ATTRIBUTES = ['reason', 'status', 'idempotencyKey'] as const;

/** Name of the quarantine table's index listing a group's quarantined records by time. */
export const QUARANTINE_GROUP_INDEX = 'byGroup';

export { AUDIT_RESTORE_ID_ATTRIBUTE, AUDIT_RESTORE_ID_INDEX } from '../../shared/restore/audit-index.ts';

/** Properties of {@link CheckpointTables}. */
export interface CheckpointTablesProps {
  /**
   * Customer-managed KMS key for the three tables.
   * @default - AWS-managed key (`alias/aws/dynamodb`)
   */
  readonly encryptionKey?: IKey;
  /**
   * What happens to the tables when they leave the stack. Checkpoints are the recovery source for
   * lost consumer offsets, so they outlive the stack unless told otherwise.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Deletion protection on the tables (a second lock besides the removal policy).
   * @default true
   */
  readonly deletionProtection?: boolean;
}

/**
 * The durable state of mskguard: offset checkpoints (current + TTL'd history), quarantined
 * records and the restore audit trail. On-demand capacity, point-in-time recovery, encrypted,
 * retained.
 *
 * Key schema (every table: `pk` S, `sk` S):
 * - checkpoints, current item: pk = `{group}#{topic}#{partition}`, sk = `CURRENT`
 * - checkpoints, history item: pk = `{group}#{topic}#{partition}`,
 *   sk = `HISTORY#{updatedAt ISO-8601}#{nextOffset, 20 digits}`, TTL `expiresAt`
 * - checkpoints, group item: pk = `{group}`, sk = `GROUP` (the group's dedup epoch)
 * - quarantine: pk = `{group}#{topic}#{partition}`, sk = `{offset, 20 digits}`, TTL `expiresAt`,
 *   GSI `byGroup` (gsi1pk = `{group}`, gsi1sk = `{quarantinedAt}#{topic}#{partition}#{offset:020}`)
 * - audit: pk = `{group}`, sk = `{startedAt ISO-8601}#{restoreId}`, sparse GSI `byRestoreId`
 *   (`restoreId`, keys only)
 *
 * @example
 * ```ts
 * const tables = new CheckpointTables(this, 'Tables', { encryptionKey: key });
 * new CfnOutput(this, 'CheckpointTable', { value: tables.checkpoints.tableName });
 * ```
 */
export class CheckpointTables extends Construct {
  /** Current and history checkpoints, and the per-group epoch item. */
  public readonly checkpoints: Table;
  /** Records withheld in probabilistic mode or rejected by policy, with payload and reason. */
  public readonly quarantine: Table;
  /** One item per restore run (plan, result, who, when). */
  public readonly audit: Table;
  /** The KMS key, when customer-managed. */
  public readonly encryptionKey: IKey | undefined;

  public constructor(scope: Construct, id: string, props: CheckpointTablesProps = {}) {
    super(scope, id);
    this.encryptionKey = props.encryptionKey;
    this.checkpoints = this.table('Checkpoints', props, true);
    this.quarantine = this.table('Quarantine', props, true);
    this.quarantine.addGlobalSecondaryIndex({
      indexName: QUARANTINE_GROUP_INDEX,
      partitionKey: { name: TABLE_ATTRIBUTES.GROUP_INDEX_PARTITION_KEY, type: AttributeType.STRING },
      sortKey: { name: TABLE_ATTRIBUTES.GROUP_INDEX_SORT_KEY, type: AttributeType.STRING },
      // Listing needs reason and coordinates, not the payload: keep the index small.
      projectionType: ProjectionType.INCLUDE,
      nonKeyAttributes: [...QUARANTINE_INDEX_ATTRIBUTES],
    });
    this.audit = this.table('Audit', props, false);
    // Adding a GSI to a deployed table is an in-place update (CloudFormation: "You can delete or add
    // one global secondary index without interruption"). Keys only: find reads the item itself with a
    // consistent GetItem, so the index stays a few hundred bytes per restore.
    this.audit.addGlobalSecondaryIndex({
      indexName: AUDIT_RESTORE_ID_INDEX,
      partitionKey: { name: AUDIT_RESTORE_ID_ATTRIBUTE, type: AttributeType.STRING },
      projectionType: ProjectionType.KEYS_ONLY,
    });
  }

  private table(id: string, props: CheckpointTablesProps, withTtl: boolean): Table {
    const table = new Table(this, id, {
      partitionKey: { name: TABLE_ATTRIBUTES.PARTITION_KEY, type: AttributeType.STRING },
      sortKey: { name: TABLE_ATTRIBUTES.SORT_KEY, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      ...(props.encryptionKey
        ? { encryption: TableEncryption.CUSTOMER_MANAGED, encryptionKey: props.encryptionKey }
        : { encryption: TableEncryption.AWS_MANAGED }),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      deletionProtection: props.deletionProtection ?? true,
      ...(withTtl ? { timeToLiveAttribute: TABLE_ATTRIBUTES.TTL } : {}),
    });
    if (!props.encryptionKey) {
      acknowledgeCheckov(
        table,
        'CKV_AWS_119',
        'Encrypted at rest with the AWS-managed DynamoDB key; a customer-managed key is the encryptionKey prop ' +
          '(tableKmsKeyArn on MskGuardStack) for accounts whose policy requires one.',
      );
    }
    return table;
  }
}
