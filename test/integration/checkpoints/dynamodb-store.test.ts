// G3: checkpoints only move forward (a lower offset or an older epoch never overwrites; concurrent
// writers end at the max), history for point-in-time restore, one BatchGetItem per load — against
// DynamoDB Local.
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient, QueryCommand, type QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AWS } from '#local/services.ts';
import { ensureTables } from '#local/tables.ts';
import type { DynamoDBSender } from '#shared/checkpoints/dynamodb.ts';
import { TableNotFoundError } from '#shared/checkpoints/dynamodb.ts';
import { DynamoCheckpointStore } from '#shared/checkpoints/dynamodb-store.ts';
import { InvalidCheckpointError } from '#shared/checkpoints/errors.ts';
import type { CheckpointUpdate } from '#shared/checkpoints/types.ts';
import { stackEnv, uniqueName } from '#test/support/stack.ts';

/** Forwards to the real client and records the command class of every call. */
class CountingClient implements DynamoDBSender {
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

const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: stackEnv().DYNAMODB_ENDPOINT });
const table = uniqueName('checkpoints');
const meta = (epoch = 0) => ({ requestId: uniqueName('req'), epoch });
const partitions = (topic: string, n: number) =>
  Array.from({ length: n }, (_, partition) => ({ topic, partition }));

async function historyOf(group: string, topic: string, partition: number): Promise<number[]> {
  const out = (await client.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :h)',
      ExpressionAttributeValues: { ':pk': { S: `${group}#${topic}#${partition}` }, ':h': { S: 'HISTORY#' } },
      ConsistentRead: true,
    }),
  )) as QueryCommandOutput;
  return (out.Items ?? []).map((i) => Number(i.nextOffset?.N));
}

beforeAll(async () => {
  await ensureTables(client, { checkpoints: table, quarantine: uniqueName('q'), audit: uniqueName('a') });
});
afterAll(() => client.destroy());

describe('DynamoCheckpointStore.advance', () => {
  it('never lets a lower or equal nextOffset overwrite a higher one (G3)', async () => {
    // Prepare
    const store = new DynamoCheckpointStore(client, table);
    const group = uniqueName('g');
    await store.advance(group, [{ topic: 'orders', partition: 0, nextOffset: 100 }], meta());

    // Act
    const lower = await store.advance(group, [{ topic: 'orders', partition: 0, nextOffset: 50 }], meta());
    const equal = await store.advance(group, [{ topic: 'orders', partition: 0, nextOffset: 100 }], meta());
    const snapshot = await store.load(group, [{ topic: 'orders', partition: 0 }]);

    // Assess
    expect(lower).toEqual({
      advanced: [],
      alreadyAhead: [{ topic: 'orders', partition: 0, nextOffset: 50 }],
    });
    expect(equal.alreadyAhead).toHaveLength(1);
    expect(snapshot.checkpoints.get('orders-0')?.nextOffset).toBe(100);
    expect(await historyOf(group, 'orders', 0)).toEqual([100]);
  });

  it('advances the partitions it can and reports the ones already ahead, in one call (G3)', async () => {
    // Prepare
    const store = new DynamoCheckpointStore(client, table);
    const group = uniqueName('g');
    await store.advance(group, [{ topic: 'orders', partition: 1, nextOffset: 500 }], meta());

    // Act
    const result = await store.advance(
      group,
      [0, 1, 2].map((partition) => ({ topic: 'orders', partition, nextOffset: 200 })),
      meta(),
    );

    // Assess
    expect(result.advanced.map((u) => u.partition).sort()).toEqual([0, 2]);
    expect(result.alreadyAhead).toEqual([{ topic: 'orders', partition: 1, nextOffset: 200 }]);
    const current = await store.listCurrent(group);
    expect(current.map((c) => [c.partition, c.nextOffset])).toEqual([
      [0, 200],
      [1, 500],
      [2, 200],
    ]);
  });

  it('ends concurrent writers at the maximum offset, with history only for effective writes (G3)', async () => {
    // Prepare
    const group = uniqueName('g');
    const writers = Array.from({ length: 12 }, () => new DynamoCheckpointStore(client, table));
    const offsets = [37, 5, 91, 12, 64, 91, 3, 88, 47, 90, 15, 70];

    // Act
    const results = await Promise.all(
      writers.map((store, i) =>
        store.advance(
          group,
          [0, 1].map((partition) => ({ topic: 'orders', partition, nextOffset: offsets[i]! + partition })),
          meta(),
        ),
      ),
    );

    // Assess
    const current = await writers[0]!.listCurrent(group, 'orders');
    expect(current.map((c) => c.nextOffset)).toEqual([91, 92]);
    for (const partition of [0, 1]) {
      const advanced = results.flatMap((r) => r.advanced.filter((u) => u.partition === partition));
      const ahead = results.flatMap((r) => r.alreadyAhead.filter((u) => u.partition === partition));
      expect(advanced.length + ahead.length).toBe(writers.length);
      const history = await historyOf(group, 'orders', partition);
      expect(history.sort((a, b) => a - b)).toEqual(advanced.map((u) => u.nextOffset).sort((a, b) => a - b));
    }
  });

  it('never lets an older epoch overwrite a newer one, and lets a newer epoch move back (G3)', async () => {
    // Prepare
    const store = new DynamoCheckpointStore(client, table);
    const group = uniqueName('g');
    const ref = { topic: 'orders', partition: 0 };
    await store.advance(group, [{ ...ref, nextOffset: 100 }], meta(0));
    const epoch = await store.bumpEpoch(group, { requestId: 'restore-1' });

    // Act
    const back = await store.advance(group, [{ ...ref, nextOffset: 10 }], meta(epoch));
    const stale = await store.advance(group, [{ ...ref, nextOffset: 500 }], meta(0));
    const snapshot = await store.load(group, [ref]);

    // Assess
    expect(epoch).toBe(1);
    expect(back.advanced).toHaveLength(1);
    expect(stale.alreadyAhead).toHaveLength(1);
    expect(snapshot.epoch).toBe(1);
    expect(snapshot.checkpoints.get('orders-0')).toMatchObject({ nextOffset: 10, epoch: 1 });
  });

  it('writes more than 50 partitions in transactions of at most 100 items', async () => {
    // Prepare
    const counting = new CountingClient(client);
    const store = new DynamoCheckpointStore(counting, table);
    const group = uniqueName('g');
    const updates = (offset: number): CheckpointUpdate[] =>
      partitions('orders', 120).map((p) => ({ ...p, nextOffset: offset + p.partition }));

    // Act
    const first = await store.advance(group, updates(1000), meta());
    const firstCalls = counting.count('TransactWriteItemsCommand');
    const second = await store.advance(group, updates(2000), meta());

    // Assess
    expect(first.advanced).toHaveLength(120);
    expect(second.advanced).toHaveLength(120);
    // New partitions: 49 per transaction (98 items + the registry ADD); known ones: 50 (100 items).
    expect(firstCalls).toBe(3);
    expect(counting.count('TransactWriteItemsCommand') - firstCalls).toBe(3);
    const current = await store.listCurrent(group);
    expect(current).toHaveLength(120);
    expect(current[119]).toMatchObject({ partition: 119, nextOffset: 2119 });
  });

  it('keeps one transaction per call up to 50 known partitions', async () => {
    // Prepare
    const counting = new CountingClient(client);
    const store = new DynamoCheckpointStore(counting, table);
    const group = uniqueName('g');
    const refs = partitions('orders', 50);
    await store.load(group, refs);
    await store.advance(
      group,
      refs.map((p) => ({ ...p, nextOffset: 1 })),
      meta(),
    );
    const before = counting.count('TransactWriteItemsCommand');

    // Act
    await store.advance(
      group,
      refs.map((p) => ({ ...p, nextOffset: 2 })),
      meta(),
    );

    // Assess
    expect(before).toBe(2);
    expect(counting.count('TransactWriteItemsCommand') - before).toBe(1);
  });
});

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
