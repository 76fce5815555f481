// Supports G3 and the restore sources (design §6, §7): the tables tests and the local runner use on
// DynamoDB Local are the tables the CDK construct deploys (keys, index, TTL), and the stores' attribute
// names are the construct's contract.
import {
  DescribeTableCommand,
  type DescribeTableCommandOutput,
  DescribeTimeToLiveCommand,
  type DescribeTimeToLiveCommandOutput,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CheckpointTables,
  QUARANTINE_GROUP_INDEX,
  QUARANTINE_INDEX_ATTRIBUTES,
  TABLE_ATTRIBUTES,
} from '#cdk/constructs/checkpoint-tables.ts';
import { LOCAL_AWS } from '#local/services.ts';
import { ensureTables, type TableNames } from '#local/tables.ts';
import { CHECKPOINT_ATTRIBUTES } from '#shared/checkpoints/schema.ts';
import {
  QUARANTINE_ATTRIBUTES,
  QUARANTINE_INDEX,
  QUARANTINE_INDEX_PROJECTION,
} from '#shared/quarantine/schema.ts';
import { stackEnv, uniqueName } from '#test/support/stack.ts';

interface CfnTable {
  KeySchema: unknown;
  AttributeDefinitions: { AttributeName: string; AttributeType: string }[];
  GlobalSecondaryIndexes?: { IndexName: string; KeySchema: unknown; Projection: unknown }[];
  TimeToLiveSpecification?: { AttributeName: string; Enabled: boolean };
}

const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: stackEnv().DYNAMODB_ENDPOINT });
const names: TableNames = {
  checkpoints: uniqueName('ckpt'),
  quarantine: uniqueName('quar'),
  audit: uniqueName('audit'),
};
const sortByName = <T extends { AttributeName?: string }>(list: T[]) =>
  [...list].sort((a, b) => (a.AttributeName ?? '').localeCompare(b.AttributeName ?? ''));

let synthesized: Record<keyof TableNames, CfnTable> | undefined;

/** The construct's table properties, by logical id prefix (Checkpoints, Quarantine, Audit); synthesized once. */
function cdkTables(): Record<keyof TableNames, CfnTable> {
  if (synthesized) return synthesized;
  const stack = new Stack();
  new CheckpointTables(stack, 'Tables');
  const resources = Template.fromStack(stack).findResources('AWS::DynamoDB::Table');
  const byPrefix = (prefix: string) =>
    Object.entries(resources).find(([id]) => id.startsWith(`Tables${prefix}`))?.[1].Properties as CfnTable;
  return {
    checkpoints: byPrefix('Checkpoints'),
    quarantine: byPrefix('Quarantine'),
    audit: byPrefix('Audit'),
  };
}

let first: { created: string[] };
beforeAll(async () => {
  first = await ensureTables(client, names);
});
afterAll(() => client.destroy());

describe('ensureTables', () => {
  it('creates the three tables once, and is idempotent', async () => {
    // Act
    const second = await ensureTables(client, names);

    // Assess
    expect(first.created.sort()).toEqual(Object.values(names).sort());
    expect(second.created).toEqual([]);
  });

  it.each([
    'checkpoints',
    'quarantine',
    'audit',
  ] as const)('creates %s exactly as the CDK construct', async (kind) => {
    // Prepare
    const cdk = cdkTables()[kind];

    // Act
    const { Table } = (await client.send(
      new DescribeTableCommand({ TableName: names[kind] }),
    )) as DescribeTableCommandOutput;
    const ttl = (await client.send(
      new DescribeTimeToLiveCommand({ TableName: names[kind] }),
    )) as DescribeTimeToLiveCommandOutput;

    // Assess
    expect(Table?.KeySchema).toEqual(cdk.KeySchema);
    expect(sortByName(Table?.AttributeDefinitions ?? [])).toEqual(sortByName(cdk.AttributeDefinitions));
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    const indexes = (Table?.GlobalSecondaryIndexes ?? []).map((g) => ({
      IndexName: g.IndexName,
      KeySchema: g.KeySchema,
      Projection: g.Projection,
    }));
    expect(indexes).toEqual(cdk.GlobalSecondaryIndexes ?? []);
    const description = ttl.TimeToLiveDescription;
    if (cdk.TimeToLiveSpecification) {
      expect(description).toMatchObject({
        AttributeName: cdk.TimeToLiveSpecification.AttributeName,
        TimeToLiveStatus: 'ENABLED',
      });
    } else {
      expect(description?.TimeToLiveStatus).toBe('DISABLED');
    }
  });

  it('creates the audit table with the sparse byRestoreId index (keys only), as the construct does', async () => {
    // Act
    const { Table } = (await client.send(
      new DescribeTableCommand({ TableName: names.audit }),
    )) as DescribeTableCommandOutput;

    // Assess: restore undo <restoreId> queries it instead of scanning the table (decision 0002).
    expect(Table?.GlobalSecondaryIndexes?.map((g) => [g.IndexName, g.IndexStatus, g.Projection])).toEqual([
      ['byRestoreId', 'ACTIVE', { ProjectionType: 'KEYS_ONLY' }],
    ]);
  });

  it("uses the construct's attribute names", () => {
    // Assess
    for (const attrs of [CHECKPOINT_ATTRIBUTES, QUARANTINE_ATTRIBUTES]) {
      expect(attrs).toMatchObject({
        PARTITION_KEY: TABLE_ATTRIBUTES.PARTITION_KEY,
        SORT_KEY: TABLE_ATTRIBUTES.SORT_KEY,
        TTL: TABLE_ATTRIBUTES.TTL,
      });
    }
    expect(QUARANTINE_ATTRIBUTES).toMatchObject({
      GROUP_INDEX_PARTITION_KEY: TABLE_ATTRIBUTES.GROUP_INDEX_PARTITION_KEY,
      GROUP_INDEX_SORT_KEY: TABLE_ATTRIBUTES.GROUP_INDEX_SORT_KEY,
    });
    expect(QUARANTINE_INDEX).toBe(QUARANTINE_GROUP_INDEX);
    expect([...QUARANTINE_INDEX_PROJECTION]).toEqual([...QUARANTINE_INDEX_ATTRIBUTES]);
  });
});
