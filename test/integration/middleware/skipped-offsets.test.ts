// Decision 0018 (G2 and G3 around a batch Lambda gave up on): when an ESM's bounded retries send a
// batch to the on-failure destination, the next batch's checkpoint passes offsets no handler
// processed. The checkpoint keeps them as skipped ranges, so a `recover` rewind (restore moves the
// group's offsets back; the watermark filters what was processed) delivers them instead of
// withholding them as duplicates. On DynamoDB Local and the real Redis.
import { describe, expect, it } from 'vitest';
import type { CheckpointStore } from '#shared/checkpoints/types.ts';
import { MemoryCheckpointStore } from '#shared/testing/memory-checkpoint-store.ts';
import { useCheckpointStore } from '#test/support/checkpoint-fixture.ts';
import { guardedConsumer, orders } from '#test/support/guarded.ts';
import { forgetGroupKeys } from '#test/support/redis-admin.ts';
import { TEST_CACHE_SHARDS } from '#test/support/runners.ts';
import { uniqueName } from '#test/support/stack.ts';

const fixture = useCheckpointStore();
const stores: [string, CheckpointStore][] = [
  ['DynamoDB Local', fixture.store],
  // What users' unit tests run on (mskguard/testing): the same write conditions.
  ['MemoryCheckpointStore', new MemoryCheckpointStore()],
];

describe.each(stores)('offsets a partition skipped (decision 0018), %s', (_, store) => {
  const runner = fixture.runner;
  const current = async (group: string) => (await store.listCurrent(group, 'orders'))[0];

  /** 'a','b' processed; 'c','d','e' (offsets 2–4) fail three times and are given up; 'f' (5) processed. */
  async function afterAGivenUpBatch() {
    const group = uniqueName('grp');
    const c = guardedConsumer({
      consumerGroup: group,
      cache: runner,
      cacheShards: TEST_CACHE_SHARDS,
      checkpoints: store,
    });
    await c.invoke(orders('orders', 0, 0, ['a', 'b']));
    c.failOn.add('c');
    for (let attempt = 0; attempt < 3; attempt++) {
      expect(await c.invoke(orders('orders', 0, 2, ['c', 'd', 'e']))).toEqual({
        batchItemFailures: [{ itemIdentifier: { partition: 'orders-0', offset: 2 } }],
      });
    }
    // Lambda moves the partition on after its retries: the next batch starts at offset 5.
    await c.invoke(orders('orders', 0, 5, ['f']));
    c.failOn.clear();
    return { group, c };
  }
  /** The batch Lambda delivers after a `recover` restore moved the group back to offset 2. */
  const rewound = () => orders('orders', 0, 2, ['c', 'd', 'e', 'f']);

  it('keeps the given-up offsets on the checkpoint it moves past them', async () => {
    // Act
    const { group, c } = await afterAGivenUpBatch();

    // Assess
    expect(c.effects).toEqual(['a', 'b', 'f']);
    expect(await current(group)).toMatchObject({ nextOffset: 6, skipped: [{ first: 2, last: 4 }] });
  });

  it('processes them after a recover rewind, and only them (G2, G1)', async () => {
    // Prepare
    const { group, c } = await afterAGivenUpBatch();

    // Act
    const response = await c.invoke(rewound());

    // Assess: 'f' was processed before, so the watermark still withholds it.
    expect(response).toEqual({ batchItemFailures: [] });
    expect(c.effects).toEqual(['a', 'b', 'f', 'c', 'd', 'e']);
    const after = await current(group);
    expect(after?.nextOffset).toBe(6);
    expect(after?.skipped).toBeUndefined();
  });

  it('withholds them once processed, even after Redis forgot them (G1)', async () => {
    // Prepare
    const { group, c } = await afterAGivenUpBatch();
    await c.invoke(rewound());
    expect(await forgetGroupKeys(group)).toBeGreaterThan(0);

    // Act: the same rewind again (a second restore, or a redelivery).
    await c.invoke(rewound());

    // Assess
    expect(c.effects).toEqual(['a', 'b', 'f', 'c', 'd', 'e']);
  });

  it('keeps what a rewound batch failed to process skipped (G3)', async () => {
    // Prepare
    const { group, c } = await afterAGivenUpBatch();
    c.failOn.add('d');

    // Act: 'c' processed, 'd' fails (Lambda retries from offset 3).
    const response = await c.invoke(rewound());

    // Assess
    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: { partition: 'orders-0', offset: 3 } }],
    });
    expect(await current(group)).toMatchObject({ nextOffset: 6, skipped: [{ first: 3, last: 4 }] });
    c.failOn.clear();
    await forgetGroupKeys(group);
    await c.invoke(orders('orders', 0, 3, ['d', 'e', 'f']));
    expect(c.effects).toEqual(['a', 'b', 'f', 'c', 'd', 'e']);
    expect((await current(group))?.skipped).toBeUndefined();
  });
});
