import { Aws, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { type IFunction, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';
import { AUDIT_RESTORE_ID_INDEX, type CheckpointTables } from './constructs/checkpoint-tables.ts';
import { grantScramSecretRead, type KafkaCluster, kafkaResourceArns } from './kafka-cluster.ts';

/**
 * `dynamodb:LeadingKeys` condition: the caller may only touch items whose partition key matches
 * one of the patterns. Keys follow docs/decisions/0002-dynamodb-table-schema.md.
 */
function leadingKeys(patterns: readonly string[]): Record<string, Record<string, string[]>> {
  return { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...patterns] } };
}

/**
 * What the guarded consumer may do in DynamoDB, limited to its own group and topic:
 * read the watermark and the group epoch, write checkpoints (TransactWriteItems is authorised
 * per item as Put/Update/ConditionCheck), put quarantined records (PutItem).
 */
export function grantConsumerTableAccess(
  fn: IFunction,
  tables: CheckpointTables,
  consumerGroupId: string,
  topic: string,
): void {
  const ownPartitions = `${consumerGroupId}#${topic}#*`;
  // Commit markers of the group's invocations (docs/decisions/0006-in-doubt-leases.md).
  const ownCommitMarkers = `${consumerGroupId}#OWNER#*`;
  fn.addToRolePolicy(
    new PolicyStatement({
      sid: 'CheckpointReadWrite',
      actions: [
        'dynamodb:GetItem',
        'dynamodb:BatchGetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:ConditionCheckItem',
      ],
      resources: [tables.checkpoints.tableArn],
      conditions: leadingKeys([ownPartitions, ownCommitMarkers, consumerGroupId]),
    }),
  );
  fn.addToRolePolicy(
    new PolicyStatement({
      sid: 'QuarantinePut',
      // One conditional PutItem per record (a REPLAYED item is never overwritten): no BatchWriteItem.
      actions: ['dynamodb:PutItem'],
      resources: [tables.quarantine.tableArn],
      conditions: leadingKeys([ownPartitions]),
    }),
  );
  grantTableKey(fn, tables);
}

/**
 * What the restore function may do in DynamoDB for the groups it restores: read current and
 * history checkpoints, bump the group epoch item (reprocess mode; the pattern is the bare group
 * id so checkpoint items stay read-only), and write its audit items.
 */
export function grantRestoreTableAccess(
  fn: IFunction,
  tables: CheckpointTables,
  groups: readonly string[],
): void {
  fn.addToRolePolicy(
    new PolicyStatement({
      sid: 'CheckpointRead',
      actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
      resources: [tables.checkpoints.tableArn],
      conditions: leadingKeys(groups.flatMap((g) => [`${g}#*`, g])),
    }),
  );
  fn.addToRolePolicy(
    new PolicyStatement({
      sid: 'GroupEpochBump',
      actions: ['dynamodb:UpdateItem'],
      resources: [tables.checkpoints.tableArn],
      conditions: leadingKeys(groups),
    }),
  );
  fn.addToRolePolicy(
    new PolicyStatement({
      sid: 'AuditWrite',
      actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem', 'dynamodb:Query'],
      resources: [tables.audit.tableArn],
      conditions: leadingKeys(groups),
    }),
  );
  fn.addToRolePolicy(
    new PolicyStatement({
      sid: 'AuditFindByRestoreId',
      // `restore undo <restoreId>` finds the audit item by its id alone: AuditStore.find
      // (shared/restore/audit.ts) queries the sparse KEYS_ONLY index, then GetItem (AuditWrite, scoped
      // to the groups) reads the item. The index's leading key is the restore id, random, so no
      // LeadingKeys condition fits; it yields keys only. No Scan: the stack that grants this creates
      // the index, so only a CLI against an older table falls back to scanning, with its own credentials.
      actions: ['dynamodb:Query'],
      resources: [`${tables.audit.tableArn}/index/${AUDIT_RESTORE_ID_INDEX}`],
    }),
  );
  grantTableKey(fn, tables);
}

/**
 * What the watchdog may read in DynamoDB: the current checkpoints of the groups it watches and their
 * restore audit items. Read-only, scoped to the groups by leading key.
 */
export function grantWatchdogTableAccess(
  fn: IFunction,
  tables: CheckpointTables,
  groups: readonly string[],
): void {
  fn.addToRolePolicy(
    new PolicyStatement({
      sid: 'CheckpointRead',
      actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
      resources: [tables.checkpoints.tableArn],
      conditions: leadingKeys(groups.flatMap((g) => [`${g}#*`, g])),
    }),
  );
  fn.addToRolePolicy(
    new PolicyStatement({
      sid: 'AuditRead',
      actions: ['dynamodb:Query'],
      resources: [tables.audit.tableArn],
      conditions: leadingKeys(groups),
    }),
  );
  tables.encryptionKey?.grant(fn, 'kms:Decrypt', 'kms:DescribeKey');
}

// Explicit actions instead of grantEncryptDecrypt, whose `kms:ReEncrypt*` wildcard cdk-nag rejects.
function grantTableKey(fn: IFunction, tables: CheckpointTables): void {
  tables.encryptionKey?.grant(fn, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey');
}

/**
 * ENI permissions the Kafka event source mapping uses (with the function's role) to reach the
 * brokers in the cluster's subnets. EC2 Describe* and ENI creation accept no resource scoping.
 */
export function grantEsmNetworking(fn: IFunction): void {
  fn.addToRolePolicy(
    new PolicyStatement({
      sid: 'KafkaEsmNetworkingDescribe',
      actions: [
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeVpcs',
        'ec2:DescribeSubnets',
        'ec2:DescribeSecurityGroups',
      ],
      resources: ['*'],
    }),
  );
  // Creating and deleting ENIs is write access: scoped to this account and region's network interfaces,
  // subnets and security groups (EC2 supports resource-level permissions for these two actions).
  const ec2 = (type: string) => `arn:${Aws.PARTITION}:ec2:${Aws.REGION}:${Aws.ACCOUNT_ID}:${type}/*`;
  fn.addToRolePolicy(
    new PolicyStatement({
      sid: 'KafkaEsmNetworkInterfaces',
      actions: ['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface'],
      resources: [ec2('network-interface'), ec2('subnet'), ec2('security-group')],
    }),
  );
  if (fn instanceof LambdaFunction && fn.role) {
    Validations.of(fn.role).acknowledge({
      // EC2 Describe calls of the ESM poller cannot be scoped to resources.
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'The Kafka event source mapping describes VPCs, subnets, security groups and ENIs with the function role; ' +
        'ec2:Describe* does not support resource-level scoping.',
    });
    for (const type of ['network-interface', 'subnet', 'security-group']) {
      Validations.of(fn.role).acknowledge({
        // ENIs get generated ids; the subnets and security groups are the cluster's, known only at deploy time.
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:${type}/*]`,
        reason:
          'The Kafka event source mapping creates ENIs (generated ids) in the cluster subnets with their security ' +
          'groups; scoped to this account and region, the ids are not known when the policy is written.',
      });
    }
  }
}

/**
 * What the Kafka event source mapping needs (it writes with the function's role) to put a given-up
 * batch in an S3 on-failure destination, as Lambda documents it: `s3:PutObject` on the bucket's
 * objects, `s3:ListBucket` on the bucket, `kms:GenerateDataKey` on the bucket's key when it has one.
 * Nothing to read or delete: the consumer never needs the objects back.
 */
export function grantS3OnFailureWrite(fn: IFunction, bucket: IBucket): void {
  const objects = bucket.arnForObjects('*');
  fn.addToRolePolicy(
    new PolicyStatement({ sid: 'OnFailureS3Put', actions: ['s3:PutObject'], resources: [objects] }),
  );
  fn.addToRolePolicy(
    new PolicyStatement({
      sid: 'OnFailureS3List',
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
    }),
  );
  bucket.encryptionKey?.grant(fn, 'kms:GenerateDataKey');
  if (fn instanceof LambdaFunction && fn.role) {
    Validations.of(fn.role).acknowledge({
      // Lambda names each object itself (a key per batch, with a random part), so no narrower ARN fits.
      id: `AwsSolutions-IAM5[Resource::${nagResourceText(fn, objects)}]`,
      reason:
        'The event source mapping writes each given-up batch to a new object whose key Lambda generates; ' +
        's3:PutObject only (no read, no delete), on the on-failure bucket only.',
    });
  }
}

/**
 * `value` the way cdk-nag writes a resource in a finding id (`<Bucket1234.Arn>/*`,
 * `arn:<AWS::Partition>:s3:::name/*`): an acknowledgement matches a finding by that exact text, and
 * the bucket is the caller's, so its logical id or name is known only here. A bucket of another stack
 * becomes a cross-stack reference at synthesis and no longer matches: its finding shows, never hidden.
 */
function nagResourceText(scope: IConstruct, value: string): string {
  const text = (node: unknown): string => {
    if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
    const intrinsic = (node ?? {}) as Record<string, unknown>;
    if (Array.isArray(intrinsic['Fn::Join'])) {
      const [separator, parts] = intrinsic['Fn::Join'] as [string, unknown[]];
      return parts.map(text).join(separator);
    }
    if (Array.isArray(intrinsic['Fn::GetAtt']))
      return `<${(intrinsic['Fn::GetAtt'] as unknown[]).map(text).join('.')}>`;
    if ('Ref' in intrinsic) return `<${text(intrinsic.Ref)}>`;
    if ('Fn::ImportValue' in intrinsic) return text(intrinsic['Fn::ImportValue']);
    if ('Fn::Sub' in intrinsic) return text(intrinsic['Fn::Sub']);
    return JSON.stringify(node);
  };
  return text(Stack.of(scope).resolve(value));
}

/**
 * What the guarded consumer may do on its cluster: discover it, and with IAM auth connect, read its
 * topic and commit its group's offsets; with SCRAM auth read the credentials secret instead.
 */
export function grantKafkaConsumerAccess(
  fn: IFunction,
  cluster: KafkaCluster,
  topic: string,
  consumerGroupId: string,
): void {
  const arns = kafkaResourceArns(cluster.clusterArn);
  fn.addToRolePolicy(
    new PolicyStatement({
      sid: 'MskClusterDiscovery',
      actions: ['kafka:DescribeClusterV2', 'kafka:GetBootstrapBrokers'],
      resources: [arns.cluster],
    }),
  );
  if (cluster.auth.mechanism === 'iam') {
    fn.addToRolePolicy(
      new PolicyStatement({
        sid: 'KafkaClusterConnect',
        actions: ['kafka-cluster:Connect', 'kafka-cluster:DescribeClusterDynamicConfiguration'],
        resources: [arns.cluster],
      }),
    );
    fn.addToRolePolicy(
      new PolicyStatement({
        sid: 'KafkaTopicRead',
        actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
        resources: [arns.topic(topic)],
      }),
    );
    fn.addToRolePolicy(
      new PolicyStatement({
        sid: 'KafkaGroupCommit',
        actions: ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'],
        resources: [arns.group(consumerGroupId)],
      }),
    );
  } else {
    grantScramSecretRead(fn, cluster.auth);
  }
}
