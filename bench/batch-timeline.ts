/**
 * Where one guarded batch's wall time goes (decision 0008, "Fifth pass"): `REDIS_URL=redis://…
 * [STEADY=1] [BLOOM=1] [REPS=15] npx tsx --expose-gc bench/batch-timeline.ts` runs the dedup
 * bench's 10,000-record batch (bench/dedup-workload.ts) through a Middy handler wrapped by
 * `mskGuard` over RESP and times, per batch, the client's work before the claim is sent, the
 * claim's round trip, the work between claim and complete, the complete's round trip and what
 * follows, by timing each script call of the runner. STEADY=1 fills the group's buckets first as
 * the dedup bench's `--steady-state` does (5.04 M + 2.52 M keys); BLOOM=1 adds the dedup bench's
 * distributed Bloom tier. Prints medians after 5 warm-up batches, with Redis's own time for the
 * two scripts (INFO commandstats). Deletes the group's keys at the end.
 */
import middy from '@middy/core';
import { RespScriptRunner } from '#shared/cache/resp.ts';
import type { ScriptRunner } from '#shared/cache/script-runner.ts';
import { mskGuard } from '#shared/middleware/mskGuard.ts';
import { encodeKafkaEvent } from '#shared/msk/index.ts';
import { fakeContext } from '#test/support/guarded.ts';
import { BENCH_BLOOM } from './bloom-params.ts';
import { fillGroup, RedisCounters, steadyStateKeys } from './dedup-fill.ts';
import { workload } from './dedup-workload.ts';
import { deleteBenchKeys } from './stack.ts';
import { median } from './table.ts';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const REPS = Number(process.env.REPS ?? 15);
const WARMUP = 5;
const WINDOW_MS = 3_600_000;
const group = `timeline-${Date.now().toString(36)}`;

/** The instants, relative to the batch's start, at which each script call was sent and answered. */
let calls: { sent: number; answered: number }[] = [];
let batchStart = 0;
const inner = new RespScriptRunner({ url });
const timed =
  <A extends unknown[]>(call: (...args: A) => Promise<unknown>) =>
  async (...args: A): Promise<unknown> => {
    const entry = { sent: performance.now() - batchStart, answered: 0 };
    calls.push(entry);
    const reply = await call(...args);
    entry.answered = performance.now() - batchStart;
    return reply;
  };
const runner: ScriptRunner = {
  kind: inner.kind,
  run: timed((script, keys, args) => inner.run(script, keys, args)),
  runBinary: timed((script, keys, args) => inner.runBinary(script, keys, args)),
  close: () => inner.close(),
};

const counters = new RedisCounters([url]);
try {
  if (process.env.STEADY) {
    const steady = steadyStateKeys(1_400, WINDOW_MS);
    await fillGroup({}, { REDIS_URL: url } as never, group, { previousKeys: 0, steady }, counters, WINDOW_MS);
    globalThis.gc?.();
  }
  const bloom = process.env.BLOOM ? { distributedBloom: BENCH_BLOOM } : {};
  const handler = middy()
    .use(mskGuard({ consumerGroup: group, cache: runner, dedupWindowMs: WINDOW_MS, ...bloom }))
    .handler(async () => {});
  const phases = new Map<string, number[]>();
  const add = (name: string, ms: number) => {
    const samples = phases.get(name) ?? [];
    samples.push(ms);
    phases.set(name, samples);
  };
  for (let rep = 0; rep < WARMUP + REPS; rep++) {
    const { seed, batch } = workload(10_000, `${group}-${rep}`);
    await handler(encodeKafkaEvent(seed) as never, fakeContext());
    const event = encodeKafkaEvent(batch);
    const redisBefore = await counters.scriptMs();
    calls = [];
    batchStart = performance.now();
    await handler(event as never, fakeContext());
    const total = performance.now() - batchStart;
    const redisMs = (await counters.scriptMs()) - redisBefore;
    // The claim is the first script call, the complete the last (a Bloom copy's refresh, when one
    // runs, is in between and counted in "between").
    const claim = calls[0];
    const complete = calls.at(-1);
    if (rep < WARMUP || !claim || !complete || calls.length < 2) continue;
    add('before claim', claim.sent);
    add('claim round trip', claim.answered - claim.sent);
    add('between', complete.sent - claim.answered);
    add('complete round trip', complete.answered - complete.sent);
    add('after', total - complete.answered);
    add('total', total);
    add('Redis (both scripts)', redisMs);
  }
  const label = `${process.env.STEADY ? 'steady state' : 'fresh group'}${process.env.BLOOM ? ', Bloom tier' : ''}`;
  console.log(`batch timeline, 10,000 records, ${label}, medians of ${REPS} (ms)`);
  for (const [name, values] of phases) console.log(`${name.padEnd(22)} ${median(values).toFixed(2)}`);
} finally {
  await deleteBenchKeys(url, `mskguard:{${group}}*`);
  await runner.close();
  counters.close();
}
