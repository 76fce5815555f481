// Checkpoint loads (one BatchGetItem, the epoch's checkpoints only), history for point-in-time
// restore, and the store's input and configuration errors — against DynamoDB Local. How
// checkpoints advance (G3): dynamodb-store.advance.test.ts.
import { setTimeout as sleep } from 'node:timers/promises';
import { QueryCommand, type QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { TableNotFoundError } from '#shared/checkpoints/dynamodb.ts';
import { DynamoCheckpointStore } from '#shared/checkpoints/dynamodb-store.ts';
import { InvalidCheckpointError } from '#shared/checkpoints/errors.ts';
import { uniqueName } from '#test/support/stack.ts';
import { CountingClient, meta, partitions, useCheckpointTable } from './dynamodb-fixture.ts';

const { client, table } = useCheckpointTable();

describe('DynamoCheckpointStore.load', () => {
  it('reads the checkpoints and the epoch in exactly one BatchGetItem', async () => {
    // Prepare
    const group = uniqueName('g');
    const refs = partitions('orders', 99);
    await new DynamoCheckpointStore(client, table).advance(
      group,
      [{ topic: 'orders', partition: 7, nextOffset: 70 }],
      meta(),
    );
    const counting = new CountingClient(client);
    const store = new DynamoCheckpointStore(counting, table);

    // Act
    const snapshot = await store.load(group, refs);

    // Assess
    expect(counting.calls).toEqual(['BatchGetItemCommand']);
    expect(snapshot.epoch).toBe(0);
    expect([...snapshot.checkpoints.keys()]).toEqual(['orders-7']);
  });

  it('chunks at 100 keys only above 99 partitions', async () => {
    // Prepare
    const counting = new CountingClient(client);
    const store = new DynamoCheckpointStore(counting, table);

    // Act
    await store.load(uniqueName('g'), partitions('orders', 150));

    // Assess
    expect(counting.calls).toEqual(['BatchGetItemCommand', 'BatchGetItemCommand']);
  });

  it('excludes checkpoints written in an older epoch from the watermark', async () => {
    // Prepare
    const store = new DynamoCheckpointStore(client, table);
    const group = uniqueName('g');
    const refs = partitions('orders', 2);
    await store.advance(
      group,
      refs.map((p) => ({ ...p, nextOffset: 100 })),
      meta(0),
    );
    const epoch = await store.bumpEpoch(group, { requestId: 'restore-1' });
    await store.advance(group, [{ topic: 'orders', partition: 0, nextOffset: 40 }], meta(epoch));

    // Act
    const snapshot = await store.load(group, refs);
    const all = await store.listCurrent(group);

    // Assess
    expect(snapshot.epoch).toBe(1);
    expect([...snapshot.checkpoints.keys()]).toEqual(['orders-0']);
    expect(all.map((c) => [c.partition, c.epoch])).toEqual([
      [0, 1],
      [1, 0],
    ]);
  });
});

describe('DynamoCheckpointStore history', () => {
  it('returns, per partition, the last checkpoint at or before a time', async () => {
    // Prepare
    const store = new DynamoCheckpointStore(client, table);
    const group = uniqueName('g');
    const before = new Date();
    await sleep(5);
    const times: Date[] = [];
    for (const nextOffset of [10, 20, 30]) {
      await store.advance(
        group,
        [0, 1].map((partition) => ({ topic: 'orders', partition, nextOffset })),
        meta(),
      );
      times.push(new Date());
      await sleep(5);
    }
    await store.advance(group, [{ topic: 'payments', partition: 0, nextOffset: 99 }], meta());
    const exact = (await store.listCurrent(group, 'orders'))[0]!.updatedAt;

    // Act
    const at = await Promise.all(times.map((t) => store.historyAt(group, 'orders', t)));
    const none = await store.historyAt(group, 'orders', before);
    const atExactWrite = await store.historyAt(group, 'orders', new Date(exact));

    // Assess
    expect(at.map((cs) => cs.map((c) => [c.partition, c.nextOffset]))).toEqual([
      [
        [0, 10],
        [1, 10],
      ],
      [
        [0, 20],
        [1, 20],
      ],
      [
        [0, 30],
        [1, 30],
      ],
    ]);
    expect(none).toEqual([]);
    expect(atExactWrite.map((c) => c.nextOffset)).toEqual([30, 30]);
  });

  it('gives history items the expiresAt TTL of historyTtlDays', async () => {
    // Prepare
    const store = new DynamoCheckpointStore(client, table, { historyTtlDays: 7 });
    const group = uniqueName('g');
    const now = Math.floor(Date.now() / 1000);

    // Act
    await store.advance(group, [{ topic: 'orders', partition: 0, nextOffset: 1 }], meta());

    // Assess
    const out = (await client.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: `${group}#orders#0` } },
      }),
    )) as QueryCommandOutput;
    const bySk = Object.fromEntries((out.Items ?? []).map((i) => [i.sk?.S?.split('#')[0], i]));
    expect(bySk.CURRENT?.expiresAt).toBeUndefined();
    const expiresAt = Number(bySk.HISTORY?.expiresAt?.N);
    expect(expiresAt - now).toBeGreaterThanOrEqual(7 * 86_400 - 5);
    expect(expiresAt - now).toBeLessThanOrEqual(7 * 86_400 + 5);
  });
});

describe('DynamoCheckpointStore input and configuration errors', () => {
  const store = new DynamoCheckpointStore(client, table);

  it.each([
    ['an empty group', '', { topic: 'orders', partition: 0, nextOffset: 1 }, /consumer group/],
    ['a negative offset', 'g', { topic: 'orders', partition: 0, nextOffset: -1 }, /nextOffset -1/],
    ['a fractional offset', 'g', { topic: 'orders', partition: 0, nextOffset: 1.5 }, /nextOffset 1.5/],
    ['an invalid topic', 'g', { topic: 'a#b', partition: 0, nextOffset: 1 }, /Invalid topic "a#b"/],
    ['a negative partition', 'g', { topic: 'orders', partition: -1, nextOffset: 1 }, /Invalid partition -1/],
  ])('refuses %s with InvalidCheckpointError', async (_, group, update, message) => {
    // Act
    const attempt = store.advance(group, [update], meta());

    // Assess
    await expect(attempt).rejects.toThrow(InvalidCheckpointError);
    await expect(attempt).rejects.toThrow(message);
  });

  it('names the missing table and the fix', async () => {
    // Prepare
    const missing = new DynamoCheckpointStore(client, uniqueName('no-such-table'));

    // Act: both calls settle before any assertion, so neither rejection is left unhandled while
    // the other is awaited (vitest reports such a rejection as an error of the run).
    const [load, advance] = await Promise.allSettled([
      missing.load('g', [{ topic: 'orders', partition: 0 }]),
      missing.advance('g', [{ topic: 'orders', partition: 0, nextOffset: 1 }], meta()),
    ]);

    // Assess
    expect(load.status).toBe('rejected');
    expect(advance.status).toBe('rejected');
    const loadError = (load as PromiseRejectedResult).reason;
    expect(loadError).toBeInstanceOf(TableNotFoundError);
    expect(String(loadError)).toMatch(/no-such-table.*MSKGUARD_CHECKPOINT_TABLE/);
    expect((advance as PromiseRejectedResult).reason).toBeInstanceOf(TableNotFoundError);
  });
});
