/**
 * What the distributed Bloom tier adds to each script's Redis time (decision 0008, "Bloom tier,
 * second session"): `REDIS_URL=redis://127.0.0.1:6379 npx tsx bench/bloom-split.ts` claims and
 * completes 10,000 random keys (17% completed beforehand) with `RedisDedupTier` alone, no
 * middleware, without and with the tier (the dedup bench's bitmap: 1 M keys per generation at
 * mskGuard's default 2 bytes per key, 2 MB), alternating, REPS rounds (default 15) after two
 * warm-up rounds. Prints the median Redis time of the claim and of the complete (INFO
 * commandstats, usec of EVALSHA) and the client's CPU for both. Deletes its keys.
 */
import { Redis } from 'ioredis';
import { RespScriptRunner } from '#shared/cache/resp.ts';
import { ClaimStatus, RedisDedupTier } from '#shared/dedup/exact.ts';
import { randomSlabKeys } from '#test/support/runners.ts';
import { benchBloomParams } from './bloom-params.ts';
import { RedisCounters } from './dedup-fill.ts';
import { median } from './table.ts';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const REPS = Number(process.env.REPS ?? 15);
const N = 10_000;
const admin = new Redis(url);
const counters = new RedisCounters([url]);
const runner = new RespScriptRunner({ url });
const run = `probe-${Date.now().toString(36)}`;
const bloom = benchBloomParams();
const tiers = {
  exact: new RedisDedupTier({ runner, baseKey: `mskguard:{${run}-x}`, windowMs: 3_600_000 }),
  '+bloom': new RedisDedupTier({ runner, baseKey: `mskguard:{${run}-b}`, windowMs: 3_600_000, bloom }),
};

const samples = new Map<string, { claim: number[]; complete: number[]; cpu: number[] }>();
for (let round = 0; round < REPS + 2; round++) {
  for (const [name, tier] of Object.entries(tiers)) {
    const keys = randomSlabKeys(N);
    const seen = keys.slice(0, Math.round(N * 0.17));
    const seed = await tier.claim(seen, { leaseMs: 60_000, mode: 'exact' });
    await tier.complete(seed.ticket, seen);
    const cpuStart = process.cpuUsage();
    const t0 = await counters.scriptMs();
    const claim = await tier.claim(keys, { leaseMs: 60_000, mode: 'exact' });
    const t1 = await counters.scriptMs();
    await tier.complete(
      claim.ticket,
      keys.filter(
        (_, i) => claim.statuses[i] === ClaimStatus.New || claim.statuses[i] === ClaimStatus.Probable,
      ),
    );
    const t2 = await counters.scriptMs();
    const cpu = process.cpuUsage(cpuStart);
    if (round < 2) continue;
    const s = samples.get(name) ?? { claim: [], complete: [], cpu: [] };
    s.claim.push(t1 - t0);
    s.complete.push(t2 - t1);
    s.cpu.push((cpu.user + cpu.system) / 1000);
    samples.set(name, s);
  }
}
console.log(`median of ${REPS}, ms per ${N.toLocaleString('en-US')}-key batch`);
console.log('tier      claim (Redis)  complete (Redis)  client CPU (both, and 3 INFO calls)');
for (const [name, s] of samples) {
  const cell = (v: number, w: number) => v.toFixed(2).padStart(w);
  console.log(
    `${name.padEnd(8)}  ${cell(median(s.claim), 13)}  ${cell(median(s.complete), 16)}  ${cell(median(s.cpu), 10)}`,
  );
}
for (const pattern of [`mskguard:{${run}-x}*`, `mskguard:{${run}-b}*`]) {
  const keys = await admin.keys(pattern);
  if (keys.length > 0) await admin.unlink(...keys);
}
await runner.close();
admin.disconnect();
counters.close();
