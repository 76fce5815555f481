/**
 * Would claiming in pipelined chunks hide the key derivation (decision 0008, "Sixth pass")?
 * `REDIS_URL=redis://… [REPS=20] npx tsx --expose-gc bench/claim-pipeline.ts` fills a group's
 * buckets as `npm run bench -- dedup --steady-state` does (5.04 M + 2.52 M keys), then times, on
 * the dedup bench's 10,000-record batches (bench/dedup-workload.ts, parsed untimed), the key
 * derivation plus the claim script two ways, in turns: all keys derived, then one claim (what the
 * middleware does); and the keys derived and claimed in 2, 4 or 8 chunks, each chunk's claim
 * written to the socket before the next chunk is derived, so Redis runs one chunk while the
 * client derives the next. Prints medians after 4 warm-up rounds, with Redis's own script time and
 * the client's time Redis did not overlap.
 *
 * A measurement, not the middleware: the chunks are plain claim calls under one owner, with no
 * in-batch dedup across chunks (the workload's keys are distinct) and no complete (the leases stay
 * until the group is deleted, the same number for each way). Deletes the group at the end.
 */
import { Redis } from 'ioredis';
import { scripts } from '#lua/scripts.generated.ts';
import { newOwner } from '#shared/dedup/exact.ts';
import { joinIds } from '#shared/dedup/ids.ts';
import { distinctKeys } from '#shared/dedup/in-batch.ts';
import { createKeyDeriver, type DerivedKey } from '#shared/keys/index.ts';
import { encodeKafkaEvent, type ParsedRecord, parseMskEvent } from '#shared/msk/index.ts';
import { fillGroup, RedisCounters, steadyStateKeys } from './dedup-fill.ts';
import { workload } from './dedup-workload.ts';
import { deleteBenchKeys } from './stack.ts';
import { formatTable, median } from './table.ts';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const REPS = Number(process.env.REPS ?? 20);
const WARMUP = 4;
const WINDOW_MS = 3_600_000;
const WAYS = [1, 2, 4, 8];
const group = `pipeline-${Date.now().toString(36)}`;
const base = `mskguard:{${group}}`;
const derive = createKeyDeriver({ group, epoch: 0 });
// ioredis writes a command to the socket in the call when connected: a chunk is on its way
// before the next one is derived.
const redis = new Redis(url);
const counters = new RedisCounters([url]);

/** Derives and claims `records` in `chunks` claim calls; resolves when every reply is in. */
async function deriveAndClaim(records: readonly ParsedRecord[], chunks: number): Promise<void> {
  const owner = newOwner();
  const size = Math.ceil(records.length / chunks);
  const replies: Promise<unknown>[] = [];
  for (let c = 0; c < chunks; c++) {
    const { slotKeys } = distinctKeys(derive(records.slice(c * size, (c + 1) * size)));
    const ids = joinIds(slotKeys as DerivedKey[]);
    const args = [owner, '900000', String(WINDOW_MS), '22', ids, 'exact', '0', '0', ''];
    replies.push(redis.evalsha(scripts.claim.sha1, 1, base, ...args));
  }
  for (const reply of (await Promise.all(replies)) as [string][]) {
    if (!reply[0]?.length) throw new Error(`unexpected claim reply ${JSON.stringify(reply)}`);
  }
}

try {
  const steady = steadyStateKeys(1_400, WINDOW_MS);
  await fillGroup({}, { REDIS_URL: url } as never, group, { previousKeys: 0, steady }, counters, WINDOW_MS);
  await counters.settle();
  await redis.script('LOAD', scripts.claim.source);
  globalThis.gc?.();
  const samples = new Map(
    WAYS.map((n) => [n, { ms: [] as number[], redisMs: [] as number[], clientMs: [] as number[] }]),
  );
  for (let rep = 0; rep < WARMUP + REPS; rep++) {
    for (const chunks of WAYS) {
      const { batch } = workload(10_000, `${group}-${rep}-${chunks}`);
      const { records } = parseMskEvent(encodeKafkaEvent(batch));
      const redisBefore = await counters.scriptMs();
      const start = performance.now();
      await deriveAndClaim(records, chunks);
      const ms = performance.now() - start;
      const redisMs = (await counters.scriptMs()) - redisBefore;
      if (rep < WARMUP) continue;
      samples.get(chunks)?.ms.push(ms);
      samples.get(chunks)?.redisMs.push(redisMs);
      samples.get(chunks)?.clientMs.push(ms - redisMs);
    }
  }
  const rows = WAYS.map((chunks) => {
    const { ms, redisMs, clientMs } = samples.get(chunks) ?? { ms: [], redisMs: [], clientMs: [] };
    return {
      claims: chunks,
      'derive + claim ms': median(ms),
      'Redis ms': median(redisMs),
      // Per batch, the wall time less Redis's: the client's work Redis did not run alongside. Steadier
      // than the wall time on a shared host, where Redis's time moves by a third from run to run.
      'client, not overlapped ms': median(clientMs),
    };
  });
  const title = `keys derived and claimed, 10,000 records, steady state, medians of ${REPS}`;
  console.log(formatTable({ title, rows }));
} finally {
  await deleteBenchKeys(url, `${base}*`);
  redis.disconnect();
  counters.close();
}
