// A record quarantined again (a `reprocess` rewind, or a batch retried after the operator replayed
// it) must not turn its REPLAYED item back into QUARANTINED: the next replay would produce a second
// copy. put keeps that item and names it; a QUARANTINED item is still replaced. Throttled writes are
// retried, then reported retriable, never dropped. Against DynamoDB Local.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AWS } from '#local/services.ts';
import { ensureTables } from '#local/tables.ts';
import type { DynamoDBSender } from '#shared/checkpoints/dynamodb.ts';
import { QuarantineStore } from '#shared/quarantine/store.ts';
import { type QuarantineInput, QuarantineStatus } from '#shared/quarantine/types.ts';
import { stackEnv, uniqueName } from '#test/support/stack.ts';

const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: stackEnv().DYNAMODB_ENDPOINT });
const table = uniqueName('quarantine-replayed');
const FAST = { baseDelayMs: 1, maxDelayMs: 2 };

beforeAll(async () => {
  await ensureTables(client, { checkpoints: uniqueName('c'), quarantine: table, audit: uniqueName('a') });
});
afterAll(() => client.destroy());

const record = (group: string, offset: number, reason = 'probable-duplicate'): QuarantineInput => ({
  group,
  topic: 'orders',
  partition: 0,
  offset,
  key: Buffer.from(`k-${offset}`).toString('base64'),
  value: Buffer.from(`v-${offset}`).toString('base64'),
  headers: [],
  idempotencyKey: `id-${offset}`,
  reason,
});

describe('QuarantineStore.put of a record already replayed', () => {
  it('keeps the REPLAYED item with its replay fields, and reports it', async () => {
    // Prepare
    const store = new QuarantineStore(client, table);
    const group = uniqueName('g');
    const { ids } = await store.put([record(group, 5)]);
    const id = ids[0]!;
    await store.markReplayed(id, { by: 'alice', to: 'orders-0@900' });
    const replayed = await store.get(id);

    // Act
    const again = await store.put([record(group, 5, 'rewound')]);
    const stored = await store.get(id);
    const secondReplay = await store.markReplayed(id, { by: 'bob', to: 'orders-0@901' });

    // Assess
    expect(stored).toMatchObject({
      status: QuarantineStatus.Replayed,
      reason: 'probable-duplicate',
      replayedBy: 'alice',
      replayedTo: 'orders-0@900',
    });
    expect(stored).toEqual(replayed);
    expect(secondReplay).toBe(false);
    expect(again).toEqual({ ids: [id], truncated: [], alreadyReplayed: [id] });
  });

  it('in a mixed batch, stores the new and the QUARANTINED records and keeps only the replayed one', async () => {
    // Prepare
    const store = new QuarantineStore(client, table);
    const group = uniqueName('g');
    const { ids } = await store.put([record(group, 1), record(group, 2)]);
    await store.markReplayed(ids[0]!, { by: 'alice' });

    // Act
    const again = await store.put([record(group, 1, 'again'), record(group, 2, 'again'), record(group, 3)]);
    const stored = await store.getMany(again.ids);

    // Assess
    expect(stored.map((r) => [r.offset, r.status, r.reason])).toEqual([
      [1, 'REPLAYED', 'probable-duplicate'],
      [2, 'QUARANTINED', 'again'],
      [3, 'QUARANTINED', 'probable-duplicate'],
    ]);
    expect(again.ids).toEqual([ids[0], ids[1], `${group}/orders-0@3`]);
    expect(again.alreadyReplayed).toEqual([ids[0]]);
  });

  it('writes a batch larger than its concurrency, every record once', async () => {
    // Prepare
    const store = new QuarantineStore(client, table);
    const group = uniqueName('g');
    const inputs = Array.from({ length: 70 }, (_, i) => record(group, i));

    // Act
    const result = await store.put([...inputs, record(group, 3, 'last wins')]);
    const read = await store.getMany(result.ids);

    // Assess
    expect(result.ids).toHaveLength(70);
    expect(result.alreadyReplayed).toEqual([]);
    expect(read.map((r) => r.offset)).toEqual(inputs.map((r) => r.offset));
    expect(read[3]?.reason).toBe('last wins');
  });
});

describe('QuarantineStore.put on a throttled table', () => {
  it('retries each write with backoff, then fails retriable, naming the call', async () => {
    // Prepare
    const calls: string[] = [];
    const throttled: DynamoDBSender = {
      send: async (command) => {
        calls.push(command.constructor.name);
        throw Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
          name: 'ProvisionedThroughputExceededException',
          $metadata: { httpStatusCode: 400 },
        });
      },
    };
    const store = new QuarantineStore(throttled, 'q', { retry: { maxAttempts: 3, ...FAST } });

    // Act
    const error = await store.put([record('g', 1)]).catch((e: unknown) => e);

    // Assess
    expect(calls).toEqual(['PutItemCommand', 'PutItemCommand', 'PutItemCommand']);
    expect(error).toMatchObject({ name: 'QuarantineWriteError', retriable: true });
    expect((error as Error).message).toMatch(/PutItem failed after 3 tries/);
  });
});
