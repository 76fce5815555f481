// G3: checkpoints only move forward (a lower offset or an older epoch never overwrites; concurrent
// writers end at the max), with history only for effective writes, in transactions of at most 100
// items — against DynamoDB Local. Loads, history reads and errors: dynamodb-store.test.ts.
import { describe, expect, it } from 'vitest';
import { DynamoCheckpointStore } from '#shared/checkpoints/dynamodb-store.ts';
import type { CheckpointUpdate } from '#shared/checkpoints/types.ts';
import { uniqueName } from '#test/support/stack.ts';
import { CountingClient, meta, partitions, useCheckpointTable } from './dynamodb-fixture.ts';

const { client, table, historyOf } = useCheckpointTable();

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
