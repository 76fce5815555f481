// The distributed Bloom tier's sizing: a generation that needs more than one Redis string per
// shard is a configuration error, not a silently capped bitmap (whose false-positive rate would
// rise unseen: more ProbableDuplicate counts, or more quarantined records in probabilistic mode).
import { describe, expect, it } from 'vitest';
import { sizeDistributedBloom } from '#shared/dedup/distributed-bloom.ts';
import { ConfigurationError } from '#shared/errors.ts';
import { resolveOptions } from '#shared/middleware/options.ts';

const DAY = 86_400_000;

describe('sizeDistributedBloom', () => {
  it('sizes 1.2 bytes per key by default: 32-bit blocks, a rate near 2.7% (blocked filters pay for one word per key)', () => {
    const p = sizeDistributedBloom({ keysPerGeneration: 1_000_000, generationMs: DAY, generations: 2 });
    expect(p.blocks).toBe(Math.ceil((1_000_000 * 9.6) / 32));
    expect(p.falsePositiveRate).toBeLessThan(0.03);
  });

  it('rejects a generation whose bitmap would exceed 512 MB, naming the ways out', () => {
    // 10,000 keys/s for a day at 2 bytes per key: 1.6 GB in one bitmap.
    const size = () =>
      sizeDistributedBloom({
        keysPerGeneration: 864_000_000,
        generationMs: DAY,
        generations: 2,
        bytesPerKey: 2,
      });
    expect(size).toThrow(ConfigurationError);
    expect(size).toThrow(/1648 MB bitmap per shard.*512 MB.*generationMs.*bytesPerKey.*cacheShards/);
  });

  it('allows 512 MB per shard: the same generation fits over 4 shards', () => {
    const p = sizeDistributedBloom({
      keysPerGeneration: 864_000_000,
      generationMs: DAY,
      generations: 2,
      bytesPerKey: 2,
      shards: 4,
    });
    expect(Math.ceil(p.blocks / 4)).toBeLessThanOrEqual(2 ** 27);
    expect(() =>
      sizeDistributedBloom({
        keysPerGeneration: 864_000_000,
        generationMs: DAY,
        generations: 2,
        bytesPerKey: 2,
        shards: 3,
      }),
    ).toThrow(/550 MB bitmap per shard/);
  });

  it('mskGuard options pass cacheShards to the sizing', () => {
    const bloom = { keysPerGeneration: 864_000_000 };
    expect(() => resolveOptions({ consumerGroup: 'g', cache: {}, distributedBloom: bloom } as never)).toThrow(
      ConfigurationError,
    );
    expect(() =>
      resolveOptions({ consumerGroup: 'g', cache: {}, distributedBloom: bloom, cacheShards: 4 } as never),
    ).not.toThrow();
  });
});
