// G2 (probabilistic mode quarantines, exact mode never drops on a Bloom signal), G6 (an
// unreachable cache fails the batch or degrades to the local filter, as configured), and the
// cost contract: a 10,000-record batch costs one claim and one complete request at the endpoint.
import { afterAll, describe, expect, it } from 'vitest';
import { RespScriptRunner } from '#shared/cache/resp.ts';
import { UpstashScriptRunner } from '#shared/cache/upstash.ts';
import { CacheUnavailableError, ConfigurationError } from '#shared/errors.ts';
import type { MskGuardOptions, QuarantineEntry } from '#shared/middleware/options.ts';
import type { KafkaRecordInput } from '#shared/msk/index.ts';
import { throughRunner } from '#test/support/bloom.ts';
import { useCheckpointStore } from '#test/support/checkpoint-fixture.ts';
import { guardedConsumer, orders } from '#test/support/guarded.ts';
import { forgetGroupKeys } from '#test/support/redis-admin.ts';
import { ADAPTERS, TEST_CACHE_SHARDS } from '#test/support/runners.ts';
import { stackEnv, uniqueName } from '#test/support/stack.ts';

const unreachable = () => new RespScriptRunner({ url: 'redis://127.0.0.1:1', timeoutMs: 300 });

describe('probabilistic mode', () => {
  const runner = ADAPTERS.resp();
  afterAll(() => runner.close());

  it('quarantines a probable duplicate instead of handing it over or dropping it (G2)', async () => {
    // Prepare: a completed key, remembered by the local filter of this container.
    const quarantined: QuarantineEntry[] = [];
    const c = guardedConsumer({
      consumerGroup: uniqueName('grp'),
      cache: runner,
      cacheShards: TEST_CACHE_SHARDS,
      mode: 'probabilistic',
      quarantine: { put: async (entries) => quarantined.push(...entries) },
    });
    await c.invoke(orders('orders', 0, 0, ['a']));

    // Act: the same business key again, at another offset.
    const response = await c.invoke(orders('orders', 0, 1, ['a', 'b']));

    // Assess
    expect(c.effects).toEqual(['a', 'b']);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(quarantined).toHaveLength(1);
    expect(quarantined[0]).toMatchObject({
      topic: 'orders',
      partition: 0,
      offset: 1,
      reason: 'probable-duplicate',
    });
    expect(Buffer.from(quarantined[0]?.value ?? '', 'base64').toString()).toBe('{"orderId":"a"}');
  });

  it('fails the batch rather than withhold a record it could not quarantine (G2)', async () => {
    const c = guardedConsumer({
      consumerGroup: uniqueName('grp'),
      cache: runner,
      cacheShards: TEST_CACHE_SHARDS,
      mode: 'probabilistic',
      quarantine: {
        put: async () => {
          throw new Error('quarantine table unavailable');
        },
      },
    });
    await c.invoke(orders('orders', 0, 0, ['a']));
    await expect(c.invoke(orders('orders', 0, 1, ['a']))).rejects.toThrow('quarantine table unavailable');
  });
});

describe('unreachable cache', () => {
  it("fails the invocation with CacheUnavailableError under onCacheUnavailable 'fail' (G6)", async () => {
    const c = guardedConsumer({
      consumerGroup: uniqueName('grp'),
      cache: unreachable(),
      cacheShards: TEST_CACHE_SHARDS,
    });
    await expect(c.invoke(orders('orders', 0, 0, ['a']))).rejects.toBeInstanceOf(CacheUnavailableError);
    expect(c.effects).toEqual([]);
  });

  it("processes with the local filter under 'degrade': nothing is withheld without proof (G2)", async () => {
    const c = guardedConsumer({
      consumerGroup: uniqueName('grp'),
      cache: unreachable(),
      cacheShards: TEST_CACHE_SHARDS,
      onCacheUnavailable: 'degrade',
    });
    await c.invoke(orders('orders', 0, 0, ['a', 'b']));
    const again = await c.invoke(orders('orders', 0, 0, ['a']));
    // In exact mode a local-filter hit is only a probable duplicate: processed and counted.
    expect(c.effects).toEqual(['a', 'b', 'a']);
    expect(again).toEqual({ batchItemFailures: [] });
  });

  it("quarantines local-filter hits under 'degrade' in probabilistic mode", async () => {
    const quarantined: QuarantineEntry[] = [];
    const c = guardedConsumer({
      consumerGroup: uniqueName('grp'),
      cache: unreachable(),
      cacheShards: TEST_CACHE_SHARDS,
      onCacheUnavailable: 'degrade',
      mode: 'probabilistic',
      quarantine: { put: async (entries) => quarantined.push(...entries) },
    });
    await c.invoke(orders('orders', 0, 0, ['a']));
    await c.invoke(orders('orders', 0, 1, ['a']));
    expect(c.effects).toEqual(['a']);
    expect(quarantined.map((q) => q.offset)).toEqual([1]);
  });

  /**
   * A group that logs its Bloom bits (decision 0022) on a Redis that answers the claim script but
   * not the read of the copies: it cannot test its claims in the script, so the claim fails like an
   * outage and `onCacheUnavailable` decides.
   */
  function loggingWithCopiesDown(onCacheUnavailable: 'fail' | 'degrade') {
    const real = ADAPTERS.resp();
    const { runner: copiesDown } = throughRunner(real, {
      read: () => Promise.reject(new CacheUnavailableError('injected: the read of the copies timed out')),
    });
    const c = guardedConsumer({
      consumerGroup: uniqueName('grp'),
      cache: copiesDown,
      cacheShards: TEST_CACHE_SHARDS,
      onCacheUnavailable,
      distributedBloom: { keysPerGeneration: 1000, copies: { log: true } },
    });
    return { c, close: () => real.close() };
  }

  it("fails a group that logs its Bloom bits, whose copies cannot be read, under 'fail' (G6)", async () => {
    // Prepare
    const { c, close } = loggingWithCopiesDown('fail');

    // Act
    const invoked = c.invoke(orders('orders', 0, 0, ['a', 'b']));

    // Assess
    await expect(invoked).rejects.toBeInstanceOf(CacheUnavailableError);
    expect(c.effects).toEqual([]);
    await close();
  });

  it("processes a group that logs its Bloom bits, whose copies cannot be read, under 'degrade' (G2)", async () => {
    // Prepare
    const { c, close } = loggingWithCopiesDown('degrade');

    // Act
    const response = await c.invoke(orders('orders', 0, 0, ['a', 'b']));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(c.effects).toEqual(['a', 'b']);
    await close();
  });

  it("fails a group that logs its Bloom bits over a cache without copies, even under 'degrade'", async () => {
    // Prepare: Upstash REST has no binary replies, so its claims could not test against copies
    // (decision 0022); a configuration error must not pass for an outage and degrade in silence.
    // The cache comes from a factory: mskGuard cannot look at the runner before the first claim.
    const c = guardedConsumer({
      consumerGroup: uniqueName('grp'),
      cache: async () => ADAPTERS.upstash(),
      onCacheUnavailable: 'degrade',
      distributedBloom: { keysPerGeneration: 1000, copies: { log: true } },
    });

    // Act
    const invoked = c.invoke(orders('orders', 0, 0, ['a']));

    // Assess
    await expect(invoked).rejects.toBeInstanceOf(ConfigurationError);
    await expect(invoked).rejects.toThrow(/no binary replies.*drop copies\.log/);
    expect(c.effects).toEqual([]);
  });
});

describe('round trips of a 10,000-record batch', () => {
  it('costs one claim and one complete request at the Upstash endpoint', async () => {
    // Prepare: a scope of its own on the stack's endpoint counts only this test's requests.
    const env = stackEnv();
    const scope = uniqueName('rt');
    const runner = new UpstashScriptRunner({
      url: `${env.UPSTASH_REDIS_REST_URL}/scope/${scope}`,
      token: env.UPSTASH_REDIS_REST_TOKEN,
    });
    const c = guardedConsumer({
      consumerGroup: uniqueName('grp'),
      cache: runner,
      cacheShards: TEST_CACHE_SHARDS,
    });
    await c.invoke(orders('warm', 0, 0, ['warm'])); // loads the scripts (NOSCRIPT → EVAL) once
    const keys = Array.from({ length: 10_000 }, (_, i) => `order-${i % 8300}`);
    const stats = async () =>
      (
        (await (
          await fetch(`${env.UPSTASH_REDIS_REST_URL}/__mskguard/stats?scope=${scope}`, {
            headers: { authorization: `Bearer ${env.UPSTASH_REDIS_REST_TOKEN}` },
          })
        ).json()) as { requests: number }
      ).requests;
    const before = await stats();

    // Act
    const response = await c.invoke(orders('orders', 0, 0, keys));

    // Assess
    expect((await stats()) - before).toBe(2);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(c.effects).toHaveLength(8300 + 1);
  });
});

/** `records` with the replay header on the record at `index` (an operator's replay of a quarantined one). */
function withReplay(records: KafkaRecordInput[], index: number): KafkaRecordInput[] {
  return records.map((record, i) =>
    i === index
      ? {
          ...record,
          headers: [...(record.headers ?? []), { name: 'mskguard-replay', value: 'grp/orders-0@1' }],
        }
      : record,
  );
}

// The distributed Bloom tier tests claims in the claim script, or against copies of its
// generations (decision 0020), read here before every claim, whether the completes set bits or
// log them (decision 0022): aging out is simulated by deleting
// the exact tier's keys, which a copy read a window earlier would not see.
describe.each([
  { where: 'in the claim script', copies: false as const },
  { where: 'against copies of the generations', copies: { refreshMs: 0 } },
  { where: 'against copies folded from a log (decision 0022)', copies: { refreshMs: 0, log: true } },
])('replayed quarantined records, Bloom tested $where', ({ copies }) => {
  const { store, runner } = useCheckpointStore();

  /**
   * A probabilistic consumer whose key 'a' completed at offset 0 and then aged out of the exact
   * tier (deleted here): only the Bloom tiers and the local filter remember it.
   */
  async function afterAForgotten(options: Partial<MskGuardOptions> = {}) {
    const quarantined: QuarantineEntry[] = [];
    const group = uniqueName('grp');
    const bloom = options.distributedBloom || { keysPerGeneration: 1_000_000 };
    const c = guardedConsumer({
      consumerGroup: group,
      cache: runner,
      mode: 'probabilistic',
      quarantine: { put: async (entries) => quarantined.push(...entries) },
      ...options,
      distributedBloom: { ...bloom, copies },
    });
    await c.invoke(orders('orders', 0, 0, ['a']));
    expect(await forgetGroupKeys(group, 'x')).toBeGreaterThan(0);
    return { c, quarantined };
  }

  it('hands a replayed record to the handler even though the Bloom tiers remember its key (G2)', async () => {
    // Prepare: when 'a' comes again it is quarantined as probable.
    const { c, quarantined } = await afterAForgotten();
    await c.invoke(orders('orders', 0, 1, ['a']));

    // Act: an operator replays it; the record comes back with the replay header.
    const response = await c.invoke(withReplay(orders('orders', 0, 2, ['a']), 0));

    // Assess
    expect(quarantined).toHaveLength(1);
    expect(c.effects).toEqual(['a', 'a']);
    expect(response).toEqual({ batchItemFailures: [] });
  });

  it('claims a replay whose key an earlier record of the batch carries, below the watermark (G2)', async () => {
    // Prepare: the next copy of 'a' (offset 1) is quarantined on the local filter's word alone (the
    // probabilistic fast path: never claimed).
    const { c, quarantined } = await afterAForgotten({ checkpoints: store });
    await c.invoke(orders('orders', 0, 1, ['a']));

    // Act: a rewind redelivers offset 1 (below the checkpoint now) with the replay of it at offset 2.
    const response = await c.invoke(withReplay(orders('orders', 0, 1, ['a', 'a']), 1));

    // Assess: the replay was claimed and processed; nothing was left without a claim status.
    expect(quarantined.map((entry) => entry.offset)).toEqual([1]);
    expect(c.effects).toEqual(['a', 'a']);
    expect(response).toEqual({ batchItemFailures: [] });
  });

  it('processes a replay even when an earlier copy of its key in the batch is quarantined (G2)', async () => {
    // Prepare
    const { c, quarantined } = await afterAForgotten({
      checkpoints: store,
      distributedBloom: { keysPerGeneration: 10_000 },
    });

    // Act: its producer duplicate (offset 1) arrives in one batch with the operator's replay of it.
    const response = await c.invoke(withReplay(orders('orders', 0, 1, ['a', 'a']), 1));
    // A later delivery of the same key is a duplicate: the replay's lease was completed.
    const again = await c.invoke(orders('orders', 0, 3, ['a']));

    // Assess: the duplicate is quarantined, the replay is processed, and its completion counts.
    expect(quarantined.map((entry) => entry.offset)).toEqual([1, 3]);
    expect(c.effects).toEqual(['a', 'a']);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(again).toEqual({ batchItemFailures: [] });
  });
});
