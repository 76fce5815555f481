// Supports G2 at the sign edge of a Bloom mask: bit 31 (0x80000000) is the sign bit of the signed
// 32-bit integers Lua's `bit` library works in, while BITFIELD reads and writes the block as u32.
// A mask sent as the unsigned 2147483648 never equals `bit.band(word, mask)` (which is signed), so a
// completed key whose mask has bit 31 would be missed: a Bloom false negative. A mask lost to 0 would
// match every block: the opposite. Both write paths of complete-1.lua, through both adapters, and
// both places a claim tests keys (the claim script, or copies of the generations: decision 0020).
import { randomBytes } from 'node:crypto';
import { Redis as IORedis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { bloomBlockOf, type DistributedBloomParams } from '#shared/dedup/distributed-bloom.ts';
import { ClaimStatus, RedisDedupTier, type TierKey } from '#shared/dedup/exact.ts';
import { ADAPTERS } from '#test/support/runners.ts';
import { stackEnv, uniqueName } from '#test/support/stack.ts';

const { New, Probable } = ClaimStatus;
const HOUR = 3_600_000;
const BLOCK = 12_345;

/**
 * A key in block {@link BLOCK} (modulo the blocks) whose first mask bit is `bit`: bytes 0–3 pick the block, the low five
 * bits of byte 4 the first bit (bloomBlockOf); the other bits (k > 1) come from random bytes.
 */
function keyWithBit(bit: number): TierKey {
  const digest = randomBytes(16);
  digest.writeUInt32LE(BLOCK, 0);
  digest[4] = (digest[4]! & 0xe0) | bit;
  return { id: digest.toString('base64url'), digest };
}

/** Completes `keys` by one claim and one complete each, then drops the exact tier's bucket. */
async function completeThenForget(tier: RedisDedupTier, base: string, keys: TierKey[][]): Promise<void> {
  const admin = new IORedis(stackEnv().REDIS_URL);
  try {
    for (const batch of keys) {
      const claim = await tier.claim(batch, { leaseMs: 60_000, mode: 'exact' });
      expect(await tier.complete(claim.ticket, batch)).toEqual({ completed: true, released: 0 });
      // As two windows later: only the Bloom tier can still know them.
      await admin.unlink(`${base}:x:${claim.ticket.bucket}`);
    }
  } finally {
    admin.disconnect();
  }
}

// Claims test keys in the claim script (Lua's signed `bit`), or against copies of the generations
// read before each claim (decision 0020: JavaScript's signed 32-bit `&`).
const TESTED = [
  { where: 'in the claim script', copies: false as const },
  { where: 'against copies of the generations', copies: { refreshMs: 0 } },
];

describe.each(
  (Object.keys(ADAPTERS) as (keyof typeof ADAPTERS)[]).flatMap((adapter) =>
    // Upstash REST has no binary replies: its claims always test in the script.
    TESTED.filter((t) => t.copies === false || adapter === 'resp').map((tested) => ({ adapter, ...tested })),
  ),
)('Bloom masks with bit 31 over $adapter, tested $where', ({ adapter, copies }) => {
  const runner = ADAPTERS[adapter]();
  afterAll(() => runner.close());
  const tier = (params: Pick<DistributedBloomParams, 'blocks' | 'k'>) => {
    const base = `mskguard:{${uniqueName('sign')}}`;
    const bloom = { ...params, generationMs: HOUR, generations: 2, copies };
    return { base, t: new RedisDedupTier({ runner, baseKey: base, windowMs: HOUR, bloom }) };
  };

  // 550,000 blocks: a 2.2 MB generation, which complete-1.lua writes by read-modify-write for a few
  // blocks; 64 blocks: by the scratch bitmap OR-ed in.
  describe.each([
    { path: 'scratch', blocks: 64 },
    { path: 'read-modify-write', blocks: 550_000 },
  ])('written by the $path path', ({ blocks }) => {
    it('finds a completed key whose mask is 0x80000000 alone (k = 1), and not its neighbour bit 30', async () => {
      // Prepare
      const { base, t } = tier({ blocks, k: 1 });
      const top = keyWithBit(31);
      const below = keyWithBit(30);
      expect(bloomBlockOf(top.digest, { blocks, k: 1 })).toEqual({
        block: BLOCK % blocks,
        mask: 0x8000_0000,
      });
      await completeThenForget(t, base, [[top]]);

      // Act
      const claim = await t.claim([top, below], { leaseMs: 60_000, mode: 'probabilistic' });

      // Assess
      expect(claim.statuses).toEqual([Probable, New]);
    });

    it('does not take a completed bit 30 for bit 31 (k = 1)', async () => {
      // Prepare
      const { base, t } = tier({ blocks, k: 1 });
      const top = keyWithBit(31);
      const below = keyWithBit(30);
      await completeThenForget(t, base, [[below]]);

      // Act
      const claim = await t.claim([below, top], { leaseMs: 60_000, mode: 'probabilistic' });

      // Assess
      expect(claim.statuses).toEqual([Probable, New]);
    });

    it('keeps bit 31 when later completes OR other bits into its word, and finds k = 12 masks with it', async () => {
      // Prepare: the sign bit first, then a word with bit 0 merged in by a second complete (the
      // read-modify-write path ORs into a word that reads back negative in Lua); then k = 12 masks.
      const { base, t } = tier({ blocks, k: 12 });
      const top = keyWithBit(31);
      const low = keyWithBit(0);
      const wide = Array.from({ length: 3 }, () => keyWithBit(31));
      for (const key of [top, ...wide]) {
        expect(bloomBlockOf(key.digest, { blocks, k: 12 }).mask & 0x8000_0000).not.toBe(0);
      }
      await completeThenForget(t, base, [[top], [low], wide]);

      // Act
      const claim = await t.claim([top, low, ...wide], { leaseMs: 60_000, mode: 'probabilistic' });

      // Assess
      expect(claim.statuses).toEqual([Probable, Probable, ...wide.map(() => Probable)]);
    });
  });
});
