import { describe, expect, it } from 'vitest';
import { ShardedDedupTier, shardBaseKey, shardOf } from '#shared/dedup/sharded.ts';
import { ConfigurationError } from '#shared/errors.ts';
import { randomKey } from '#test/support/runners.ts';

describe('shardBaseKey', () => {
  it('keeps the unsharded key for one shard, and puts the shard inside the hash tag otherwise', () => {
    expect(shardBaseKey('mskguard:{orders}', 0, 1)).toBe('mskguard:{orders}');
    expect(shardBaseKey('mskguard:{orders}', 0, 4)).toBe('mskguard:{orders|s0}');
    expect(shardBaseKey('mskguard:{a:b}', 3, 4)).toBe('mskguard:{a:b|s3}');
  });

  it('refuses a base key without a hash tag', () => {
    expect(() => shardBaseKey('mskguard:orders', 1, 2)).toThrow(ConfigurationError);
  });
});

describe('shardOf', () => {
  it('spreads random digests evenly and reads a digest in place in a slab', () => {
    const counts = new Array<number>(8).fill(0);
    for (let i = 0; i < 16_000; i++) {
      const s = shardOf(randomKey(), 8);
      counts[s] = (counts[s] as number) + 1;
    }
    // 2,000 expected per shard; 5 standard deviations is ~210.
    for (const c of counts) expect(Math.abs(c - 2000)).toBeLessThan(250);
    const key = randomKey();
    const slab = Buffer.concat([Buffer.alloc(5), Buffer.from(key.digest)]);
    expect(shardOf({ id: key.id, digest: key.digest, slab, at: 5 }, 8)).toBe(shardOf(key, 8));
  });

  it('uses the high bits of the first word (the Bloom block uses its value modulo the block count)', () => {
    const digest = new Uint8Array(16);
    digest[3] = 0x80; // word 0x80000000: the upper half
    expect(shardOf({ id: 'x', digest }, 2)).toBe(1);
    digest[3] = 0x7f;
    expect(shardOf({ id: 'x', digest }, 2)).toBe(0);
  });
});

describe('ShardedDedupTier options', () => {
  const runner = { kind: 'none', run: async () => undefined, close: async () => {} };
  it.each([0, 65, 1.5, Number.NaN])('refuses %s shards with a ConfigurationError', (shards) => {
    expect(
      () => new ShardedDedupTier({ runner, baseKey: 'mskguard:{g}', windowMs: 3_600_000, shards }),
    ).toThrow(ConfigurationError);
  });
});
