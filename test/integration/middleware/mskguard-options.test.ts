// mskGuard's options checked when the middleware is created, not at the first claim: bad options
// in general, and Bloom copies (distributedBloom.copies: refreshMs, maxBytes, log) that the window,
// the cache or the cache shards could not serve.
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '#shared/errors.ts';
import { mskGuard } from '#shared/middleware/mskGuard.ts';
import { ADAPTERS } from '#test/support/runners.ts';

describe('mskGuard options', () => {
  it('refuses bad options at factory time with ConfigurationError', () => {
    const cache = ADAPTERS.resp();
    expect(() => mskGuard({ consumerGroup: '', cache })).toThrow(ConfigurationError);
    expect(() => mskGuard({ consumerGroup: 'g', cache, dedupWindowMs: 1000 })).toThrow(/dedupWindowMs/);
    expect(() => mskGuard({ consumerGroup: 'g', cache, mode: 'probabilistic' })).toThrow(/quarantine/);
    expect(() =>
      mskGuard({ consumerGroup: 'g', cache, keySources: [{ type: 'header', name: 'traceparent' }] }),
    ).toThrow(ConfigurationError);
    void cache.close();
  });

  it.each([
    [
      { refreshMs: 2_640_001 },
      /copies.refreshMs must be a whole number of ms from 0 to dedupWindowMs less 16 min \(2640000\)/,
    ],
    [{ refreshMs: -1 }, /copies.refreshMs/],
    [{ maxBytes: 0 }, /copies.maxBytes must be a positive whole number/],
    [
      { refreshMs: 0, dedupWindowMs: 960_000 },
      /copies need a dedupWindowMs of at least 17 min \(1020000\), got 960000/,
    ],
    [{ log: 'yes' }, /copies.log must be true or false, got yes/],
    [{ log: true, dedupWindowMs: 960_000 }, /copies.log needs a dedupWindowMs of at least 17 min/],
    [
      { log: true, maxBytes: 1024 },
      /copies.log needs the generations copied whole \(4000 bytes per cache shard\)/,
    ],
    [{ log: true }, /copies.log needs a cache that returns binary replies .*drop copies.log/],
  ])('refuses Bloom copies %j at factory time, not as an unreachable cache at the first claim', (settings, message) => {
    // Act
    const { dedupWindowMs, ...copies } = settings as { dedupWindowMs?: number; refreshMs?: number };
    const act = () =>
      mskGuard({
        consumerGroup: 'g',
        cache: ADAPTERS.upstash(),
        ...(dedupWindowMs ? { dedupWindowMs } : {}),
        distributedBloom: { keysPerGeneration: 1000, copies },
      });

    // Assess
    expect(act).toThrow(ConfigurationError);
    expect(act).toThrow(message);
  });

  it("measures a logging group's copies per cache shard, as each shard does at its first claim", () => {
    // Act: 500 blocks fit 4,096 bytes for the group, but 16 shards hold at least 64 blocks each.
    const act = () =>
      mskGuard({
        consumerGroup: 'g',
        cache: async () => ADAPTERS.resp(),
        cacheShards: 16,
        distributedBloom: { keysPerGeneration: 1000, copies: { log: true, maxBytes: 4096 } },
      });

    // Assess
    expect(act).toThrow(
      /copied whole \(512 bytes per cache shard\), above copies.maxBytes \(256 per shard\)/,
    );
  });
});
