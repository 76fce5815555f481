import type { GetItemCommandOutput, QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import { dynamoDbSdk } from '../aws/sdk.ts';
import {
  batchGetAll,
  type DynamoDBSender,
  type Failure,
  type Item,
  mapConcurrent,
  type ResolvedRetry,
  withRetries,
} from './dynamodb.ts';
import {
  CHECKPOINT_ATTRIBUTES as A,
  CHECKPOINT_SORT_KEYS,
  commitMarkerKey,
  commitMarkerPrefix,
  currentKey,
  groupEpoch,
  groupKey,
  parseRegistryMember,
  partitionPk,
  registryMember,
  toCheckpoint,
} from './schema.ts';
import type { Checkpoint, PartitionRef } from './types.ts';

/** What a read of the checkpoints table needs: the client, the table and the read retry policy. */
export interface CheckpointTableReader {
  readonly client: DynamoDBSender;
  readonly table: string;
  readonly retry: ResolvedRetry;
  readonly failure: Failure;
}

const HISTORY_QUERY_CONCURRENCY = 16;
/** Upper end of the offsets in history sort keys (20 digits). */
const MAX_PADDED_OFFSET = '9'.repeat(20);

/** The GROUP item's epoch and the CURRENT items of `partitions`, in one consistent BatchGetItem. */
export async function readEpochAndCurrents(
  reader: CheckpointTableReader,
  group: string,
  partitions: readonly PartitionRef[],
): Promise<{ epoch: number; currents: Checkpoint[] }> {
  const refs = [...new Map(partitions.map((p) => [registryMember(p), p])).values()];
  const keys = [groupKey(group), ...refs.map((p) => currentKey(group, p))];
  const items = await batchGetAll(reader.client, keys, {
    retry: reader.retry,
    failure: reader.failure,
    consistentRead: true,
  });
  let epoch = 0;
  const currents: Checkpoint[] = [];
  for (const item of items) {
    if (item[A.SORT_KEY]?.S === CHECKPOINT_SORT_KEYS.GROUP) epoch = groupEpoch(item);
    else currents.push(toCheckpoint(item));
  }
  return { epoch, currents };
}

/** The `owners` whose commit marker exists: their batch's checkpoints committed. */
export async function readCommittedOwners(
  reader: CheckpointTableReader,
  group: string,
  owners: readonly string[],
): Promise<Set<string>> {
  if (owners.length === 0) return new Set();
  const items = await batchGetAll(
    reader.client,
    [...new Set(owners)].map((o) => commitMarkerKey(group, o)),
    { retry: reader.retry, failure: reader.failure, consistentRead: true },
  );
  const prefix = commitMarkerPrefix(group);
  return new Set(items.map((item) => (item[A.PARTITION_KEY]?.S ?? '').slice(prefix.length)));
}

/** The CURRENT items of the group's registered partitions (of `topic` when given), by partition. */
export async function readCurrent(
  reader: CheckpointTableReader,
  group: string,
  topic?: string,
): Promise<Checkpoint[]> {
  const refs = (await readRegistry(reader, group)).filter((r) => topic === undefined || r.topic === topic);
  const items = await batchGetAll(
    reader.client,
    refs.map((r) => currentKey(group, r)),
    { retry: reader.retry, failure: reader.failure, consistentRead: true },
  );
  return items.map(toCheckpoint).sort(byPartition);
}

/** Per registered partition of `topic`, the newest HISTORY item written at or before `at`. */
export async function readHistoryAt(
  reader: CheckpointTableReader,
  group: string,
  topic: string,
  at: Date,
): Promise<Checkpoint[]> {
  const refs = (await readRegistry(reader, group)).filter((r) => r.topic === topic);
  // Sort keys are HISTORY#{updatedAt}#{offset:020}; the upper bound includes writes at exactly `at`.
  const upper = `${CHECKPOINT_SORT_KEYS.HISTORY_PREFIX}${at.toISOString()}#${MAX_PADDED_OFFSET}`;
  const found = await mapConcurrent(refs, HISTORY_QUERY_CONCURRENCY, async (ref) => {
    const out = await withRetries(
      'Query (history)',
      reader.retry,
      reader.failure,
      async () =>
        reader.client.send(
          new (await dynamoDbSdk()).QueryCommand({
            TableName: reader.table,
            KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :lo AND :hi',
            ExpressionAttributeNames: { '#pk': A.PARTITION_KEY, '#sk': A.SORT_KEY },
            ExpressionAttributeValues: {
              ':pk': { S: partitionPk(group, ref.topic, ref.partition) },
              ':lo': { S: CHECKPOINT_SORT_KEYS.HISTORY_PREFIX },
              ':hi': { S: upper },
            },
            ScanIndexForward: false,
            Limit: 1,
          }),
        ) as Promise<QueryCommandOutput>,
    );
    const item = out.Items?.[0];
    return item ? toCheckpoint(item) : undefined;
  });
  return found.filter((c): c is Checkpoint => c !== undefined).sort(byPartition);
}

/** The partitions ever checkpointed for `group` (the GROUP item's registry set). */
async function readRegistry(reader: CheckpointTableReader, group: string): Promise<PartitionRef[]> {
  const out = await withRetries(
    'GetItem (group)',
    reader.retry,
    reader.failure,
    async () =>
      reader.client.send(
        new (await dynamoDbSdk()).GetItemCommand({
          TableName: reader.table,
          Key: groupKey(group),
          ConsistentRead: true,
        }),
      ) as Promise<GetItemCommandOutput>,
  );
  const item: Item | undefined = out.Item;
  return (item?.[A.PARTITIONS]?.SS ?? []).map(parseRegistryMember);
}

function byPartition(a: PartitionRef, b: PartitionRef): number {
  return a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1;
}
