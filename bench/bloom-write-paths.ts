/**
 * Which of the complete's two ways to set Bloom bits costs less, by bitmap size (decision 0008,
 * "Bloom tier, second session"):
 * `REDIS_URL=redis://127.0.0.1:6379 [N=10000] [SIZES_MB=2,4,...] npx tsx bench/bloom-write-paths.ts`.
 * For each generation bitmap size (default 2 to 64 MB) it claims N random keys (default 10,000)
 * with the tier on and completes 83% of them with complete-1.lua forced down one path or the other,
 * and as it is (the path its rule chooses):
 * - scratch: BITFIELD SET of each block's word into an empty scratch bitmap, BITOP OR into the
 *   generation, UNLINK the scratch (cost grows with the bitmap: the scratch is as long);
 * - read-modify-write: BITFIELD_RO GET of each block, OR in Lua, BITFIELD SET (cost grows with the
 *   keys, not the bitmap).
 * Alternately, REPS rounds (default 9) after one warm-up, each against an existing full-length
 * generation; prints the median Redis time of the complete (INFO commandstats, usec of EVAL and EVALSHA).
 */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { scripts } from '#lua/scripts.generated.ts';
import { RespScriptRunner } from '#shared/cache/resp.ts';
import type { LuaScript } from '#shared/cache/script-runner.ts';
import { type DistributedBloomParams, encodeBloomSet } from '#shared/dedup/distributed-bloom.ts';
import { RedisDedupTier } from '#shared/dedup/exact.ts';
import { joinIds } from '#shared/dedup/ids.ts';
import { randomSlabKeys } from '#test/support/runners.ts';
import { RedisCounters } from './dedup-fill.ts';
import { median } from './table.ts';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const REPS = Number(process.env.REPS ?? 9);
const SIZES_MB = (process.env.SIZES_MB ?? '2,4,8,16,32,64').split(',').map(Number);
const N = Number(process.env.N ?? 10_000);
const DAY = 86_400_000;
const admin = new Redis(url);
const counters = new RedisCounters([url]);
const runner = new RespScriptRunner({ url });
const run = `probe-${Date.now().toString(36)}`;

/** complete-1.lua with its scratch threshold replaced: 0 forces read-modify-write, 2^31 the scratch. */
function forced(scratchMax: number, name: string): LuaScript {
  const marker = 'local SCRATCH_BASE, SCRATCH_PER_BLOCK = 2097152, 1024';
  if (!scripts.complete.source.includes(marker)) throw new Error(`complete-1.lua no longer has "${marker}"`);
  const source = scripts.complete.source.replace(
    marker,
    `local SCRATCH_BASE, SCRATCH_PER_BLOCK = ${scratchMax}, 0`,
  );
  return { name, numberOfKeys: 1, sha1: createHash('sha1').update(source).digest('hex'), source };
}
const PATHS: Record<string, LuaScript> = {
  scratch: forced(2 ** 31, 'complete-scratch'),
  'read-modify-write': forced(0, 'complete-rmw'),
  'as chosen': scripts.complete,
};

console.log(`complete of ${(N * 0.83).toLocaleString('en-US')} keys, Redis ms, median of ${REPS}`);
console.log(`bitmap MB  ${Object.keys(PATHS).join('  ')}`);
for (const mb of SIZES_MB) {
  const bloom: DistributedBloomParams = {
    blocks: (mb * 2 ** 20) / 4,
    k: 7,
    generationMs: DAY,
    generations: 2,
  };
  const base = `mskguard:{${run}-${mb}}`;
  const tier = new RedisDedupTier({ runner, baseKey: base, windowMs: 3_600_000, bloom });
  const [sec] = await admin.time();
  // The generation at full length, as a running group's is (both paths then write into it).
  await admin.setrange(`${base}:b:${Math.floor((Number(sec) * 1000) / DAY)}`, mb * 2 ** 20 - 1, '\x01');
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(PATHS).map((p) => [p, []]));
  for (let round = 0; round < REPS + 1; round++) {
    for (const [path, script] of Object.entries(PATHS)) {
      const keys = randomSlabKeys(N);
      const claim = await tier.claim(keys, { leaseMs: 60_000, mode: 'exact' });
      const completed = keys.slice(0, Math.round(N * 0.83));
      const args = [
        claim.ticket.owner,
        String(claim.ticket.bucket),
        '3600000',
        '22',
        joinIds([]),
        String(DAY),
        '2',
        encodeBloomSet(completed, bloom),
      ];
      const before = await counters.scriptMs();
      await runner.run(script, [base], args);
      if (round > 0) samples[path]!.push((await counters.scriptMs()) - before);
    }
  }
  const cell = (path: string) => median(samples[path]!).toFixed(2).padStart(path.length);
  console.log(`${String(mb).padStart(9)}  ${Object.keys(PATHS).map(cell).join('  ')}`);
  const keys = await admin.keys(`${base}*`);
  if (keys.length > 0) await admin.unlink(...keys);
}
await runner.close();
admin.disconnect();
counters.close();
