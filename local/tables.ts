import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DescribeTableCommandOutput,
  DescribeTimeToLiveCommand,
  type DescribeTimeToLiveCommandOutput,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { StackError } from '#local/errors.ts';
import type { DynamoDBSender } from '#shared/checkpoints/dynamodb.ts';
import { CHECKPOINT_ATTRIBUTES } from '#shared/checkpoints/schema.ts';
import {
  QUARANTINE_ATTRIBUTES,
  QUARANTINE_INDEX,
  QUARANTINE_INDEX_PROJECTION,
} from '#shared/quarantine/schema.ts';
import { AUDIT_RESTORE_ID_ATTRIBUTE, AUDIT_RESTORE_ID_INDEX } from '#shared/restore/audit-index.ts';

/** Names of mskguard's three tables. */
export interface TableNames {
  readonly checkpoints: string;
  readonly quarantine: string;
  readonly audit: string;
}

const KEYS = {
  AttributeDefinitions: [
    { AttributeName: CHECKPOINT_ATTRIBUTES.PARTITION_KEY, AttributeType: 'S' },
    { AttributeName: CHECKPOINT_ATTRIBUTES.SORT_KEY, AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: CHECKPOINT_ATTRIBUTES.PARTITION_KEY, KeyType: 'HASH' },
    { AttributeName: CHECKPOINT_ATTRIBUTES.SORT_KEY, KeyType: 'RANGE' },
  ],
  BillingMode: 'PAY_PER_REQUEST',
} as const satisfies Omit<CreateTableCommandInput, 'TableName'>;

/**
 * The tables as cdk/constructs/checkpoint-tables.ts defines them (keys, index, TTL attribute).
 * Encryption, point-in-time recovery and deletion protection are cloud settings DynamoDB Local
 * does not model, so they are left out.
 */
export function tableDefinitions(names: TableNames): { input: CreateTableCommandInput; ttl: boolean }[] {
  const Q = QUARANTINE_ATTRIBUTES;
  return [
    { input: { TableName: names.checkpoints, ...KEYS }, ttl: true },
    {
      input: {
        TableName: names.quarantine,
        ...KEYS,
        AttributeDefinitions: [
          ...KEYS.AttributeDefinitions,
          { AttributeName: Q.GROUP_INDEX_PARTITION_KEY, AttributeType: 'S' },
          { AttributeName: Q.GROUP_INDEX_SORT_KEY, AttributeType: 'S' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: QUARANTINE_INDEX,
            KeySchema: [
              { AttributeName: Q.GROUP_INDEX_PARTITION_KEY, KeyType: 'HASH' },
              { AttributeName: Q.GROUP_INDEX_SORT_KEY, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...QUARANTINE_INDEX_PROJECTION] },
          },
        ],
      },
      ttl: true,
    },
    {
      input: {
        TableName: names.audit,
        ...KEYS,
        AttributeDefinitions: [
          ...KEYS.AttributeDefinitions,
          { AttributeName: AUDIT_RESTORE_ID_ATTRIBUTE, AttributeType: 'S' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: AUDIT_RESTORE_ID_INDEX,
            KeySchema: [{ AttributeName: AUDIT_RESTORE_ID_ATTRIBUTE, KeyType: 'HASH' }],
            Projection: { ProjectionType: 'KEYS_ONLY' },
          },
        ],
      },
      ttl: false,
    },
  ];
}

/**
 * Creates the tables that are missing and enables their TTL: for tests and the local runner on
 * DynamoDB Local. Idempotent (existing tables are checked, not recreated); refuses a table that
 * exists with another key schema, since mskguard would misread it. An existing table is not given an
 * index it lacks (the audit table's `byRestoreId`, decision 0002): DynamoDB Local leaves an index
 * added by UpdateTable CREATING and fails every Query of it (InternalFailure), while `find` scans a
 * table without the index. Delete the table (local data only) to get the index.
 *
 * @example
 * ```ts
 * const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: stackEnv().DYNAMODB_ENDPOINT });
 * const { created } = await ensureTables(client, { checkpoints: 'ckpt', quarantine: 'quar', audit: 'audit' });
 * ```
 */
export async function ensureTables(
  client: DynamoDBSender,
  names: TableNames,
): Promise<{ created: string[] }> {
  const created: string[] = [];
  for (const { input, ttl } of tableDefinitions(names)) {
    const name = input.TableName as string;
    const existing = await describe(client, name);
    if (existing) {
      checkKeySchema(name, existing);
    } else {
      try {
        await client.send(new CreateTableCommand(input));
        created.push(name);
      } catch (error) {
        // Another process created it between our describe and create: fine.
        if ((error as Error).name !== 'ResourceInUseException') throw error;
      }
    }
    await waitActive(client, name);
    if (ttl) await ensureTtl(client, name);
  }
  return { created };
}

async function describe(client: DynamoDBSender, name: string): Promise<DescribeTableCommandOutput['Table']> {
  try {
    const out = (await client.send(
      new DescribeTableCommand({ TableName: name }),
    )) as DescribeTableCommandOutput;
    return out.Table;
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

function checkKeySchema(name: string, table: NonNullable<DescribeTableCommandOutput['Table']>): void {
  const actual = JSON.stringify(table.KeySchema ?? []);
  if (actual !== JSON.stringify(KEYS.KeySchema)) {
    throw new StackError(
      `Table ${name} exists with key schema ${actual}, mskguard needs pk (HASH, S) + sk (RANGE, S): ` +
        'delete it or use another table name.',
    );
  }
}

async function waitActive(client: DynamoDBSender, name: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const table = await describe(client, name);
    const indexesActive = (table?.GlobalSecondaryIndexes ?? []).every((g) => g.IndexStatus === 'ACTIVE');
    if (table?.TableStatus === 'ACTIVE' && indexesActive) return;
    await sleep(100);
  }
  throw new StackError(`Table ${name} did not become ACTIVE within 60 s: check the DynamoDB endpoint's log.`);
}

async function ensureTtl(client: DynamoDBSender, name: string): Promise<void> {
  const out = (await client.send(
    new DescribeTimeToLiveCommand({ TableName: name }),
  )) as DescribeTimeToLiveCommandOutput;
  const status = out.TimeToLiveDescription?.TimeToLiveStatus;
  if (status === 'ENABLED' || status === 'ENABLING') return;
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: name,
      TimeToLiveSpecification: { AttributeName: CHECKPOINT_ATTRIBUTES.TTL, Enabled: true },
    }),
  );
}
