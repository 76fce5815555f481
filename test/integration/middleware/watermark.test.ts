// G1 with an empty Redis (the DynamoDB watermark alone withholds redeliveries), G3 (checkpoints
// move forward only, and only past records whose handler succeeded), and the epoch bump of
// restore's reprocess mode, on DynamoDB Local and the real Redis. Keys in doubt: in-doubt.test.ts.
import { setTimeout as sleep } from 'node:timers/promises';
import middy from '@middy/core';
import { describe, expect, it } from 'vitest';
import type { CheckpointStore } from '#shared/checkpoints/types.ts';
import { InvalidEventError } from '#shared/errors.ts';
import { mskGuard } from '#shared/middleware/mskGuard.ts';
import { encodeKafkaEvent } from '#shared/msk/index.ts';
import { storeWith, useCheckpointStore } from '#test/support/checkpoint-fixture.ts';
import { claimAndDie, fakeContext, guardedConsumer, orders } from '#test/support/guarded.ts';
import { forgetGroupKeys } from '#test/support/redis-admin.ts';
import { TEST_CACHE_SHARDS } from '#test/support/runners.ts';
import { uniqueName } from '#test/support/stack.ts';

describe('watermark tier and checkpoints', () => {
  const { store, runner } = useCheckpointStore();
  const consumer = (group = uniqueName('grp')) => ({
    group,
    ...guardedConsumer({
      consumerGroup: group,
      cache: runner,
      cacheShards: TEST_CACHE_SHARDS,
      checkpoints: store,
    }),
  });
  const checkpoint = async (group: string, topic: string) =>
    Object.fromEntries((await store.listCurrent(group, topic)).map((c) => [c.partition, c.nextOffset]));

  it('withholds redelivered offsets even after Redis lost every key (G1)', async () => {
    // Prepare
    const c = consumer();
    const batch = [...orders('orders', 0, 0, ['a', 'b', 'c']), ...orders('orders', 1, 0, ['d'])];
    await c.invoke(batch);
    expect(await forgetGroupKeys(c.group)).toBeGreaterThan(0);

    // Act: a rebalance replays from offset 0, plus one new record.
    const response = await c.invoke([...batch, ...orders('orders', 0, 3, ['e'])]);

    // Assess
    expect(c.effects.sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(await checkpoint(c.group, 'orders')).toEqual({ 0: 4, 1: 1 });
  });

  it('checkpoints a failed partition at its first failure, the others at their end (G3)', async () => {
    const c = consumer();
    c.failOn.add('b');
    await c.invoke([...orders('orders', 0, 10, ['a', 'b', 'c']), ...orders('orders', 1, 20, ['d', 'e'])]);
    expect(await checkpoint(c.group, 'orders')).toEqual({ 0: 11, 1: 22 });
  });

  it('checkpoints nothing when the handler throws (G3)', async () => {
    const c = consumer();
    c.throwOnce(new Error('boom'));
    await expect(c.invoke(orders('orders', 0, 0, ['a']))).rejects.toThrow('boom');
    expect(await checkpoint(c.group, 'orders')).toEqual({});
  });

  it('never moves a checkpoint back when an older batch settles late (G3)', async () => {
    const c = consumer();
    await c.invoke(orders('orders', 0, 100, ['x', 'y']));
    await store.advance(c.group, [{ topic: 'orders', partition: 0, nextOffset: 50 }], {
      requestId: 'late',
      epoch: 0,
    });
    expect(await checkpoint(c.group, 'orders')).toEqual({ 0: 102 });
  });

  it('counts withheld duplicates as done: the checkpoint passes them', async () => {
    const c = consumer();
    await c.invoke(orders('orders', 2, 0, ['a']));
    await c.invoke(orders('orders', 2, 1, ['a', 'a', 'b']));
    expect(c.effects).toEqual(['a', 'b']);
    expect(await checkpoint(c.group, 'orders')).toEqual({ 2: 4 });
  });

  it('hands records to the handler again after the epoch is bumped (restore reprocess mode)', async () => {
    const c = consumer();
    const batch = orders('orders', 0, 0, ['a', 'b']);
    await c.invoke(batch);
    await store.bumpEpoch(c.group, { requestId: 'restore-test' });
    await c.invoke(batch);
    expect(c.effects).toEqual(['a', 'b', 'a', 'b']);
  });
});

describe('an unreachable checkpoint table', () => {
  const { store, runner } = useCheckpointStore();
  /** The real store, with its watermark read replaced. */
  const withLoad = (load: CheckpointStore['load']) => storeWith(store, { load });

  it('fails the invocation and gives back the keys it claimed meanwhile, so the retry processes at once (G5, G6)', async () => {
    // Prepare: the watermark read fails once; the claim went out in parallel and succeeded.
    let down = true;
    const flaky = withLoad(async (group, partitions) => {
      if (down) throw new Error('injected: DynamoDB unreachable');
      return store.load(group, partitions);
    });
    const group = uniqueName('grp');
    const c = guardedConsumer({
      consumerGroup: group,
      cache: runner,
      cacheShards: TEST_CACHE_SHARDS,
      checkpoints: flaky,
    });
    const batch = orders('orders', 0, 0, ['a', 'b']);

    // Act
    const failed = c.invoke(batch);
    await expect(failed).rejects.toThrow('DynamoDB unreachable');
    down = false;
    const retry = await c.invoke(batch);

    // Assess: had the leases stayed, the retry would report the partition in progress.
    expect(retry).toEqual({ batchItemFailures: [] });
    expect(c.effects).toEqual(['a', 'b']);
  });

  it('gives back its leases when the in-doubt check fails after the claim, so the retry processes at once (G5, G6)', async () => {
    // Prepare: an invocation claims 'k' and 'n' and dies; its lease (300 ms) expires, so the next
    // claim finds them in doubt and asks the table whether the dead owner committed. That read fails.
    const group = uniqueName('grp');
    await claimAndDie(
      { consumerGroup: group, cache: runner, checkpoints: store },
      orders('orders', 0, 0, ['k', 'n']),
      300,
    );
    await sleep(400);
    let down = true;
    const flaky = storeWith(store, {
      committedOwners: async (g, owners) => {
        if (down) throw new Error('injected: DynamoDB unreachable');
        return store.committedOwners(g, owners);
      },
    });
    const c = guardedConsumer({ consumerGroup: group, cache: runner, checkpoints: flaky });
    const batch = orders('orders', 0, 0, ['k', 'n']);

    // Act: the failed invocation would hold its leases for a minute; the retry may wait three seconds.
    await expect(c.invoke(batch, fakeContext(60_000))).rejects.toThrow('DynamoDB unreachable');
    down = false;
    const retry = await c.invoke(batch, fakeContext(3_000));

    // Assess: had the leases stayed, the retry would wait them out and report the partition in progress.
    expect(retry).toEqual({ batchItemFailures: [] });
    expect(c.effects).toEqual(['k', 'n']);
  });

  it('refuses a malformed event with a typed error, leaves no lease and checkpoints nothing, though its early watermark read went out and failed (G6)', async () => {
    // Prepare: the watermark read goes out before the parse; here it also fails, and that
    // rejection must not surface anywhere (vitest fails the run on an unhandled rejection).
    let loads = 0;
    const failing = withLoad(async () => {
      loads++;
      throw new Error('injected: DynamoDB unreachable');
    });
    const group = uniqueName('grp');
    const handler = middy()
      .use(
        mskGuard({
          consumerGroup: group,
          cache: runner,
          cacheShards: TEST_CACHE_SHARDS,
          checkpoints: failing,
        }),
      )
      .handler(async () => ({ batchItemFailures: [] }));
    const event = encodeKafkaEvent(orders('orders', 0, 0, ['a', 'b']));
    (event.records['orders-0']?.[1] as { value: string }).value = 'not base64!';

    // Act
    const outcome = handler(event as never, fakeContext());

    // Assess: the bytes are checked while the claim is out; the claim is given back (its owner
    // released), so a valid delivery of the same keys processes both at once.
    await expect(outcome).rejects.toBeInstanceOf(InvalidEventError);
    await new Promise((r) => setTimeout(r, 50));
    expect(loads).toBe(1);
    expect(await store.listCurrent(group, 'orders')).toEqual([]);
    const c = guardedConsumer({
      consumerGroup: group,
      cache: runner,
      cacheShards: TEST_CACHE_SHARDS,
      checkpoints: store,
    });
    expect(await c.invoke(orders('orders', 0, 0, ['a', 'b']))).toEqual({ batchItemFailures: [] });
    expect(c.effects).toEqual(['a', 'b']);
  });

  it('refuses an event whose headers are malformed before claiming, though its watermark read went out and failed (G6)', async () => {
    // Prepare: the key is derived before the claim is sent, from headers read unchecked until then;
    // headers that are no list fail there, while the watermark read is already out. That read fails too, and its rejection must
    // not surface anywhere (vitest fails the run on an unhandled rejection; Lambda's Node runtime
    // ends the container on one).
    let loads = 0;
    const failing = withLoad(async () => {
      loads++;
      throw new Error('injected: DynamoDB unreachable');
    });
    const c = guardedConsumer({ consumerGroup: uniqueName('grp'), cache: runner, checkpoints: failing });
    const event = encodeKafkaEvent(orders('orders', 0, 0, ['a']));
    (event.records['orders-0']?.[0] as { headers: unknown }).headers = 'not a list';

    // Act
    const outcome = c.invokeEvent(event);

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(InvalidEventError);
    await new Promise((r) => setTimeout(r, 50));
    expect(loads).toBe(1);
  });
});
