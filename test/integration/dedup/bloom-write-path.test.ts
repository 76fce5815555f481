// Supports G2 (the Bloom tier keeps every completed key's bits; redis-tier.test.ts proves both write
// paths keep them): the complete takes the scratch bitmap while the generation is at most 2 MB + 1 KB
// per block written, and reads and rewrites the blocks above that (complete-1.lua, decision 0008).
// Observed with MONITOR, which shows the commands a script runs, against the real Redis through both
// adapters.
import { Redis as IORedis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { sizeDistributedBloom } from '#shared/dedup/distributed-bloom.ts';
import { RedisDedupTier } from '#shared/dedup/exact.ts';
import { ADAPTERS, randomSlabKeys } from '#test/support/runners.ts';
import { stackEnv, uniqueName } from '#test/support/stack.ts';

/** The commands Redis ran while `act` ran (a script's own ones included) that name a key under `base`. */
async function commandsUnder(base: string, act: () => Promise<unknown>): Promise<string[]> {
  const url = stackEnv().REDIS_URL;
  const client = new IORedis(url);
  const monitor = await client.monitor();
  const seen: string[] = [];
  const sentinel = `${base}:sentinel`;
  const flushed = new Promise<void>((resolve) => {
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args.includes(sentinel)) resolve();
      else if (args.some((a) => String(a).startsWith(base))) seen.push(String(args[0]).toUpperCase());
    });
  });
  try {
    await act();
    // MONITOR lines arrive after the replies: a command sent after `act` marks the end of its lines.
    await client.exists(sentinel);
    await flushed;
    return seen;
  } finally {
    monitor.disconnect();
    client.disconnect();
  }
}

describe.each(
  Object.keys(ADAPTERS) as (keyof typeof ADAPTERS)[],
)('the Bloom write path over %s', (adapter) => {
  const runner = ADAPTERS[adapter]();
  afterAll(() => runner.close());
  // 550,000 blocks: a 2,200,000-byte generation, above 2 MB + 1 KB for 1 block, below it for 101+.
  const bloom = sizeDistributedBloom({
    keysPerGeneration: 1_100_000,
    generationMs: 3_600_000,
    generations: 2,
    bytesPerKey: 2,
  });

  it.each([
    { keys: 200, path: 'scratch', expected: 'BITOP', absent: 'BITFIELD_RO' },
    { keys: 1, path: 'read-modify-write', expected: 'BITFIELD_RO', absent: 'BITOP' },
  ])('writes $keys key(s) into a 2.2 MB generation by the $path', async ({ keys, expected, absent }) => {
    // Prepare
    const base = `mskguard:{${uniqueName('bw')}}`;
    const tier = new RedisDedupTier({ runner, baseKey: base, windowMs: 3_600_000, bloom });
    const batch = randomSlabKeys(keys);
    const claim = await tier.claim(batch, { leaseMs: 60_000, mode: 'exact' });

    // Act
    const commands = await commandsUnder(base, () => tier.complete(claim.ticket, batch));

    // Assess
    expect(commands).toContain(expected);
    expect(commands).not.toContain(absent);
    expect(commands).toContain('BITFIELD');
  });
});
