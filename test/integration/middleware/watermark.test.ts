// G1 with an empty Redis (the DynamoDB watermark alone withholds redeliveries) and for keys a
// dead invocation committed, G3 (checkpoints
// move forward only, and only past records whose handler succeeded), and the epoch bump of
// restore's reprocess mode, on DynamoDB Local and the real Redis.
import { setTimeout as sleep } from 'node:timers/promises';
import middy from '@middy/core';
import { describe, expect, it } from 'vitest';
import type { ScriptRunner } from '#shared/cache/script-runner.ts';
import type { CheckpointStore } from '#shared/checkpoints/types.ts';
import { CacheUnavailableError, InvalidEventError } from '#shared/errors.ts';
import { GuardEngine } from '#shared/middleware/engine.ts';
import { mskGuard } from '#shared/middleware/mskGuard.ts';
import { encodeKafkaEvent } from '#shared/msk/index.ts';
import { useCheckpointStore } from '#test/support/checkpoint-fixture.ts';
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

  /**
   * An invocation of `group` processes `key` on orders/0, commits its checkpoint with its commit
   * marker and dies before its complete reaches Redis; its lease (300 ms) has expired on return.
   */
  async function diesAfterCommitting(group: string, key: string): Promise<void> {
    const noComplete: ScriptRunner = {
      kind: runner.kind,
      close: async () => {},
      run: (script, keys, args) =>
        script.name === 'complete'
          ? Promise.reject(new CacheUnavailableError('injected: died before complete'))
          : runner.run(script, keys, args),
    };
    const dead = new GuardEngine({
      consumerGroup: group,
      cache: noComplete,
      cacheShards: TEST_CACHE_SHARDS,
      checkpoints: store,
      leaseMarginMs: 0,
    });
    await dead.settle(await dead.admit(encodeKafkaEvent(orders('orders', 0, 0, [key])), fakeContext(300)), {
      batchItemFailures: [],
    });
    await sleep(400);
  }

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

  it('keeps a key a dead invocation committed done when the invocation that proved it fails (G1)', async () => {
    // Prepare: an invocation processes 'k', commits its checkpoint and dies before its complete
    // reaches Redis; its lease (300 ms) expires. A producer duplicate of 'k' then comes on another
    // partition: its claim finds 'k' in doubt and the dead owner's commit marker proves it done.
    const group = uniqueName('grp');
    await diesAfterCommitting(group, 'k');
    const c = guardedConsumer({
      consumerGroup: group,
      cache: runner,
      cacheShards: TEST_CACHE_SHARDS,
      checkpoints: store,
    });
    const duplicate = orders('orders', 1, 0, ['k', 'n']);
    c.throwOnce(new Error('injected: the handler fails'));

    // Act: the handler throws (its leases are given back), then the retry.
    await expect(c.invoke(duplicate)).rejects.toThrow('injected: the handler fails');
    const retry = await c.invoke(duplicate);

    // Assess: giving the leases back kept 'k' done; had it been released, the retry would find it
    // new (its lease names the failed invocation, not the dead one) and process it a second time.
    expect(retry).toEqual({ batchItemFailures: [] });
    expect(c.effects).toEqual(['n']);
  });

  it('keeps the keys of an invocation done when its checkpoint fails after its complete (G1)', async () => {
    // Prepare: as above, a dead owner's commit proves 'k' done, so the next invocation holds a
    // repaired key and gives its leases back by completing instead of releasing. This time its
    // handler succeeds and its complete lands, but its checkpoint write fails once.
    const group = uniqueName('grp');
    await diesAfterCommitting(group, 'k');
    let failures = 1;
    const flaky: CheckpointStore = {
      load: (g, partitions) => store.load(g, partitions),
      advance: (g, updates, meta) =>
        failures-- > 0
          ? Promise.reject(new Error('injected: the checkpoint write fails'))
          : store.advance(g, updates, meta),
      listCurrent: (g, topic) => store.listCurrent(g, topic),
      historyAt: (g, topic, at) => store.historyAt(g, topic, at),
      committedOwners: (g, owners) => store.committedOwners(g, owners),
      bumpEpoch: (g, meta) => store.bumpEpoch(g, meta),
    };
    const c = guardedConsumer({
      consumerGroup: group,
      cache: runner,
      cacheShards: TEST_CACHE_SHARDS,
      checkpoints: flaky,
    });
    const duplicate = orders('orders', 1, 0, ['k', 'n']);

    // Act: the invocation fails on its checkpoint (Lambda retries the batch), then the retry.
    await expect(c.invoke(duplicate)).rejects.toThrow('injected: the checkpoint write fails');
    const retry = await c.invoke(duplicate);

    // Assess: 'n' was processed once. Giving the leases back after the complete landed must not
    // undo it: the retry finds 'n' done, not new.
    expect(retry).toEqual({ batchItemFailures: [] });
    expect(c.effects).toEqual(['n']);
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
  const withLoad = (load: CheckpointStore['load']): CheckpointStore => ({
    load,
    advance: (group, updates, meta) => store.advance(group, updates, meta),
    listCurrent: (group, topic) => store.listCurrent(group, topic),
    historyAt: (group, topic, at) => store.historyAt(group, topic, at),
    committedOwners: (group, owners) => store.committedOwners(group, owners),
    bumpEpoch: (group, meta) => store.bumpEpoch(group, meta),
  });

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
    const flaky: CheckpointStore = {
      ...withLoad((g, partitions) => store.load(g, partitions)),
      committedOwners: async (g, owners) => {
        if (down) throw new Error('injected: DynamoDB unreachable');
        return store.committedOwners(g, owners);
      },
    };
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
});
