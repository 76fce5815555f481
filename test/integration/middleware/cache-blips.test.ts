// Issue 17: a cache blip never stalls a partition for a whole lease. The cache applies a script and
// the reply is lost (the connection reset in between: ReplyLostRunner), against the real Redis and
// REST endpoint; the same container's next delivery gives the leases back first (a late settlement)
// and processes the batch. Guarantees: G1 (each key's effect once), G2 (nothing lost), G5 (a failed
// handler's leases are given back, late rather than never).
import { afterAll, describe, expect, it } from 'vitest';
import { fakeContext, guardedConsumer, orders } from '#test/support/guarded.ts';
import { ADAPTERS, ReplyLostRunner, TEST_CACHE_SHARDS } from '#test/support/runners.ts';
import { uniqueName } from '#test/support/stack.ts';

const TWENTY = Array.from({ length: 20 }, (_, i) => `k${i}`);

describe.each(Object.keys(ADAPTERS) as (keyof typeof ADAPTERS)[])('cache blips over %s', (adapter) => {
  const inner = ADAPTERS[adapter]();
  afterAll(() => inner.close());

  it('the reproduction: the handler fails on its first record as the release is lost; the next delivery processes the batch', async () => {
    // Prepare: 20 keys claimed; the handler fails on the first, and the settle's call that gives
    // the 20 leases back never reaches the cache.
    const runner = new ReplyLostRunner(inner);
    const c = guardedConsumer({
      consumerGroup: uniqueName('blip'),
      cache: runner,
      cacheShards: TEST_CACHE_SHARDS,
    });
    c.failOn.add('k0');
    runner.dropNext('complete');

    // Act
    const first = await c.invoke(orders('orders', 0, 0, TWENTY));
    c.failOn.clear();
    const second = await c.invoke(orders('orders', 0, 0, TWENTY), fakeContext(2000));

    // Assess: the second delivery has too little time to wait out a lease (2 s), so only the late
    // settlement can have freed the keys.
    expect(first).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: 'orders-0', offset: 0 } }] });
    expect(second).toEqual({ batchItemFailures: [] });
    expect(c.effects).toEqual(TWENTY);
  });

  it.each([
    ['claim', 'reply is lost'],
    ['release', 'reply is lost'],
    ['release', 'request never arrives'],
  ])('a %s, %s: the next delivery in the container processes the batch once', async (script, how) => {
    // Prepare: for 'claim', the claim leases the keys and the invocation fails; for 'release', the
    // handler throws and the release of its leases is lost.
    const runner = new ReplyLostRunner(inner);
    const c = guardedConsumer({
      consumerGroup: uniqueName('blip'),
      cache: runner,
      cacheShards: TEST_CACHE_SHARDS,
    });
    if (script === 'release') c.throwOnce(new Error('handler failed'));
    if (how === 'reply is lost') runner.loseNextReply(script!);
    else runner.dropNext(script!);

    // Act
    // 5 s to live: all of it the handler's reserve, so the invocation fails instead of trying again.
    const first = await c
      .invoke(orders('orders', 0, 0, ['a', 'b']), fakeContext(5000))
      .catch((e: Error) => e);
    const second = await c.invoke(orders('orders', 0, 0, ['a', 'b']), fakeContext(2000));

    // Assess
    expect(first).toBeInstanceOf(Error);
    expect(second).toEqual({ batchItemFailures: [] });
    expect(c.effects).toEqual(['a', 'b']);
  });

  it('a lost complete reply after success: the redelivery is withheld, never processed twice (G1)', async () => {
    const runner = new ReplyLostRunner(inner);
    const c = guardedConsumer({
      consumerGroup: uniqueName('blip'),
      cache: runner,
      cacheShards: TEST_CACHE_SHARDS,
    });
    runner.loseNextReply('complete');

    const first = await c.invoke(orders('orders', 0, 0, ['a', 'b']));
    const redelivery = await c.invoke(orders('orders', 0, 0, ['a', 'b']), fakeContext(2000));

    expect(first).toEqual({ batchItemFailures: [] });
    expect(redelivery).toEqual({ batchItemFailures: [] });
    expect(c.effects).toEqual(['a', 'b']);
  });
});
