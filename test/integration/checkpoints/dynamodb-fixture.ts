// The DynamoDB Local table the checkpoint store's tests write to, and what they share: a client,
// a command-counting wrapper, partition lists and the history rows of a partition.
import { DynamoDBClient, QueryCommand, type QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { LOCAL_AWS } from '#local/services.ts';
import { ensureTables } from '#local/tables.ts';
import type { DynamoDBSender } from '#shared/checkpoints/dynamodb.ts';
import { stackEnv, uniqueName } from '#test/support/stack.ts';

/** Forwards to the real client and records the command class of every call. */
export class CountingClient implements DynamoDBSender {
  public readonly calls: string[] = [];
  public constructor(private readonly inner: DynamoDBClient) {}
  public send(command: object): Promise<unknown> {
    this.calls.push(command.constructor.name);
    return this.inner.send(command as never);
  }
  public count(name: string): number {
    return this.calls.filter((c) => c === name).length;
  }
}

export const meta = (epoch = 0) => ({ requestId: uniqueName('req'), epoch });
export const partitions = (topic: string, n: number) =>
  Array.from({ length: n }, (_, partition) => ({ topic, partition }));

/** A checkpoint table of the test file's own, created before its tests and its client closed after. */
export function useCheckpointTable(): {
  client: DynamoDBClient;
  table: string;
  historyOf: (group: string, topic: string, partition: number) => Promise<number[]>;
} {
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: stackEnv().DYNAMODB_ENDPOINT });
  const table = uniqueName('checkpoints');
  beforeAll(async () => {
    await ensureTables(client, { checkpoints: table, quarantine: uniqueName('q'), audit: uniqueName('a') });
  });
  afterAll(() => client.destroy());
  /** The nextOffset of each history row of the partition, in sort-key order. */
  const historyOf = async (group: string, topic: string, partition: number): Promise<number[]> => {
    const out = (await client.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :h)',
        ExpressionAttributeValues: {
          ':pk': { S: `${group}#${topic}#${partition}` },
          ':h': { S: 'HISTORY#' },
        },
        ConsistentRead: true,
      }),
    )) as QueryCommandOutput;
    return (out.Items ?? []).map((i) => Number(i.nextOffset?.N));
  };
  return { client, table, historyOf };
}
