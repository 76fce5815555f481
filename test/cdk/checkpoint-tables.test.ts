// Guarantee: supports G3 (checkpoints are durable: retained, point-in-time recoverable) and the restore
// sources of design §7; proves the table contract of docs/decisions/0002-dynamodb-table-schema.md.
import { RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AUDIT_RESTORE_ID_INDEX,
  CheckpointTables,
  QUARANTINE_GROUP_INDEX,
} from '#cdk/constructs/checkpoint-tables.ts';
import { describeViolations, nagViolations, testStack } from './helpers.ts';

describe('CheckpointTables', () => {
  let template: Template;
  let tables: CheckpointTables;

  beforeAll(() => {
    const stack = testStack();
    tables = new CheckpointTables(stack, 'Tables');
    template = Template.fromStack(stack);
  });

  it('creates three on-demand tables keyed pk/sk with point-in-time recovery and AWS-managed encryption', () => {
    // Assess
    template.resourceCountIs('AWS::DynamoDB::Table', 3);
    template.allResourcesProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      DeletionProtectionEnabled: true,
    });
  });

  it('retains every table on stack deletion and replacement', () => {
    // Act
    const retained = template.findResources('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });

    // Assess
    expect(Object.keys(retained)).toHaveLength(3);
  });

  it('sets the expiresAt TTL on checkpoints (history items) and quarantine, not on audit', () => {
    // Act
    const withTtl = template.findResources('AWS::DynamoDB::Table', {
      Properties: { TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } },
    });

    // Assess
    expect(Object.keys(withTtl)).toHaveLength(2);
    const auditId = template.getResourceId('AWS::DynamoDB::Table', {
      Properties: { TimeToLiveSpecification: Match.absent() },
    });
    expect(auditId).toContain('Audit');
  });

  it('indexes quarantined records by group', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: [
        Match.objectLike({
          IndexName: QUARANTINE_GROUP_INDEX,
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['reason', 'status', 'idempotencyKey'] },
        }),
      ],
    });
  });

  it('indexes audit items by restoreId: a sparse, keys-only index (restore undo <id> queries it, no Scan)', () => {
    // Act
    const audit = template.findResources('AWS::DynamoDB::Table', {
      Properties: { TimeToLiveSpecification: Match.absent() },
    });

    // Assess: only restore items carry restoreId (chunk items do not), so the index is sparse.
    const [properties] = Object.values(audit).map((r) => r.Properties);
    expect(Object.keys(audit)).toHaveLength(1);
    expect(properties.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: AUDIT_RESTORE_ID_INDEX,
        KeySchema: [{ AttributeName: 'restoreId', KeyType: 'HASH' }],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ]);
    expect(properties.AttributeDefinitions).toContainEqual({
      AttributeName: 'restoreId',
      AttributeType: 'S',
    });
    // Key schema unchanged: adding a GSI is an in-place update of a deployed table, no replacement.
    expect(properties.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
  });

  it('exposes the tables and passes cdk-nag', () => {
    expect(tables.encryptionKey).toBeUndefined();
    expect(describeViolations(nagViolations(tables))).toEqual([]);
  });

  it('uses a customer-managed key when given one', () => {
    // Prepare
    const stack = testStack();
    const key = new Key(stack, 'Key', { enableKeyRotation: true });

    // Act
    new CheckpointTables(stack, 'Tables', { encryptionKey: key });

    // Assess
    Template.fromStack(stack).allResourcesProperties('AWS::DynamoDB::Table', {
      SSESpecification: {
        SSEEnabled: true,
        SSEType: 'KMS',
        KMSMasterKeyId: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] },
      },
    });
  });

  it('honours removalPolicy and deletionProtection overrides', () => {
    // Prepare
    const stack = testStack();

    // Act
    new CheckpointTables(stack, 'Tables', {
      removalPolicy: RemovalPolicy.DESTROY,
      deletionProtection: false,
    });

    // Assess
    const template = Template.fromStack(stack);
    template.allResources('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
    template.allResourcesProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: false });
  });
});
