/**
 * `npm run bench -- dedup`: what mskguard costs a batch, against the per-record peer, on the same
 * Redis and the same records. Batches of 100, 1,000 and 10,000 records over 3 partitions with 17%
 * duplicates (completed in an untimed earlier batch: half redeliveries at the same offsets, half
 * producer duplicates at new offsets).
 * - mskguard-resp / mskguard-upstash: one invocation of a Middy handler wrapped by `mskGuard`
 *   whose handler does nothing: parse, keys, claim, plan, complete. `roundTrips` counts the
 *   script calls (each one HTTP request or one RESP command).
 * - powertools: `makeIdempotent` from @aws-lambda-powertools/idempotency with its cache
 *   persistence layer on @redis/client, called once per record, as the per-record peer does.
 * - mskguard-cluster-shards3: mskguard over the stack's 3-node Redis Cluster (RespClusterScriptRunner)
 *   with `cacheShards: 3`; run only when named in --impls (the cluster is started only then).
 * `--steady-state` first fills each group's two buckets as a group running at `--rate` keys/s for
 * longer than its window has them (bench/dedup-fill.ts) and adds memory and Redis-time columns.
 * The local stack must be running, or its Redis and REST endpoint are started and stopped around
 * the run.
 */

import { randomBytes } from 'node:crypto';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { CachePersistenceLayer } from '@aws-lambda-powertools/idempotency/cache';
import middy from '@middy/core';
import { createClient } from '@redis/client';
import type { StackEndpoints } from '#local/stack-config.ts';
import { RespScriptRunner } from '#shared/cache/resp.ts';
import { RespClusterScriptRunner } from '#shared/cache/resp-cluster.ts';
import type { ScriptRunner } from '#shared/cache/script-runner.ts';
import { UpstashScriptRunner } from '#shared/cache/upstash.ts';
import { mskGuard } from '#shared/middleware/mskGuard.ts';
import type { MskGuardOptions } from '#shared/middleware/options.ts';
import { encodeKafkaEvent } from '#shared/msk/index.ts';
import { fakeContext } from '#test/support/guarded.ts';
import { CountingRunner } from '#test/support/runners.ts';
import { BENCH_BLOOM } from './bloom-params.ts';
import { batchSizes, implFilter, previousBucketKeys, steadyStateRate } from './dedup-cli.ts';
import { clusterNodes, fillGroup, type GroupFill, RedisCounters, steadyStateKeys } from './dedup-fill.ts';
import { dedupTables } from './dedup-report.ts';
import { DUPLICATE_SHARE, PARTITIONS, workload } from './dedup-workload.ts';
import { allocatedBytes } from './heap.ts';
import type { BenchContext } from './main.ts';
import { benchStack, cleanUpBenchKeys, deleteClusterBenchKeys } from './stack.ts';
import { median, type Row, type Table } from './table.ts';

/** The dedup window the guards run with (mskGuard's default): one bucket hash per window of Redis time. */
const WINDOW_MS = 3_600_000;
/** The row over the stack's Redis Cluster, run only when named in --impls. */
export const CLUSTER_IMPL = 'mskguard-cluster-shards3';

process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_IDEMPOTENCY_DISABLED = 'false';

/** One mskguard configuration the bench measures: its row name, cache adapter and extra options. */
interface GuardSetup {
  readonly impl: string;
  /** For the progress line: "over RESP", ... */
  readonly how: string;
  readonly runner: (env: StackEndpoints) => ScriptRunner;
  readonly extra?: Partial<MskGuardOptions>;
  /** The Redis it writes to: the stack's single Redis (the REST endpoint fronts it too) or its Cluster. */
  readonly redis?: 'cluster';
}

export const GUARDS: readonly GuardSetup[] = [
  {
    impl: 'mskguard-resp',
    how: 'over RESP',
    runner: (env) => new RespScriptRunner({ url: env.REDIS_URL }),
  },
  {
    impl: 'mskguard-resp+bloom',
    how: 'over RESP with the distributed Bloom tier',
    runner: (env) => new RespScriptRunner({ url: env.REDIS_URL }),
    extra: { distributedBloom: BENCH_BLOOM },
  },
  {
    impl: 'mskguard-resp+bloom-log',
    how: 'over RESP with the distributed Bloom tier, completes logging their bits (decision 0022)',
    runner: (env) => new RespScriptRunner({ url: env.REDIS_URL }),
    extra: { distributedBloom: { ...BENCH_BLOOM, copies: { log: true } } },
  },
  {
    impl: 'mskguard-upstash',
    how: 'over the Upstash REST endpoint',
    runner: (env) =>
      new UpstashScriptRunner({ url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN }),
  },
  {
    impl: CLUSTER_IMPL,
    how: 'over the 3-node Redis Cluster, 3 cache shards',
    runner: (env) => new RespClusterScriptRunner({ nodes: clusterNodes(env) }),
    extra: { cacheShards: 3 },
    redis: 'cluster',
  },
];

export async function benchGuard(
  setup: GuardSetup,
  env: StackEndpoints,
  size: number,
  ctx: BenchContext,
  run: { id: string } & GroupFill,
): Promise<Row> {
  const { impl, extra } = setup;
  const samples: number[] = [];
  const cpu: number[] = [];
  const redisMs: number[] = [];
  let roundTrips = 0;
  const runner = new CountingRunner(setup.runner(env));
  const counters = run.steady
    ? new RedisCounters(setup.redis === 'cluster' ? clusterNodes(env) : [env.REDIS_URL])
    : undefined;
  // One handler for every repetition, as one warm Lambda container takes batch after batch: the
  // engine (clients, key deriver, local filter) and the group's Redis buckets carry over. No forced
  // GC before a timed call: a container never gets one, and a heap just emptied by a full GC made
  // the timed call up to 15 ms slower or faster depending on what the previous batch had left
  // alive (decision 0008). The collector runs when allocation calls for it, as in Lambda.
  const group = `${run.id}-${impl}-${size}`;
  const filled = await fillGroup(setup, env, group, run, counters, WINDOW_MS);
  // The fill's garbage (millions of ids) is the bench's, not a container's: collected before timing.
  if (filled) globalThis.gc?.();
  const handler = middy()
    .use(mskGuard({ consumerGroup: group, cache: runner, dedupWindowMs: WINDOW_MS, ...extra }))
    .handler(async () => {});
  for (let rep = 0; rep < ctx.warmup + ctx.repetitions; rep++) {
    const { seed, batch } = workload(size, `${group}-${rep}`);
    await handler(encodeKafkaEvent(seed) as never, fakeContext());
    const event = encodeKafkaEvent(batch);
    const calls = runner.calls.length;
    const scriptMs = await counters?.scriptMs();
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    await handler(event as never, fakeContext());
    const elapsed = performance.now() - start;
    const used = process.cpuUsage(cpuStart);
    if (counters && scriptMs !== undefined) redisMs.push((await counters.scriptMs()) - scriptMs);
    if (rep >= ctx.warmup) {
      samples.push(elapsed);
      // This process's CPU time during the invocation (the client's share, Redis runs elsewhere):
      // less sensitive than wall time to other work on a shared host, for A/B runs.
      cpu.push((used.user + used.system) / 1000);
      roundTrips = runner.calls.length - calls;
    }
  }
  // One more batch, untimed, under the heap sampling profiler: the bytes the invocation allocated.
  const { seed, batch } = workload(size, `${group}-allocations`);
  await handler(encodeKafkaEvent(seed) as never, fakeContext());
  const event = encodeKafkaEvent(batch);
  const allocatedKB = Math.round((await allocatedBytes(() => handler(event as never, fakeContext()))) / 1024);
  const wire = await requestBytes(runner, handler, size, `${group}-bytes`);
  await runner.close();
  counters?.close();
  return {
    impl,
    batch: size,
    ms: round(median(samples)),
    cpuMs: round(median(cpu)),
    roundTrips,
    allocatedKB,
    ...wire,
    ...(filled ? { ...filled, redisMs: round(median(redisMs.slice(ctx.warmup))) } : {}),
  };
}

/**
 * One more untimed batch: the KB its script calls would carry as Upstash REST requests and replies
 * (JSON bodies; over RESP the same arguments, a few bytes less framing). The seed's calls not counted.
 */
async function requestBytes(
  runner: CountingRunner,
  handler: (event: never, context: never) => Promise<unknown>,
  size: number,
  run: string,
): Promise<{ requestKB: number; replyKB: number }> {
  const { seed, batch } = workload(size, run);
  await handler(encodeKafkaEvent(seed) as never, fakeContext() as never);
  const event = encodeKafkaEvent(batch);
  runner.bytes = { request: 0, reply: 0 };
  await handler(event as never, fakeContext() as never);
  const { request, reply } = runner.bytes;
  runner.bytes = undefined;
  return { requestKB: round(request / 1024), replyKB: round(reply / 1024) };
}

export async function benchPowertools(
  redisUrl: string,
  size: number,
  ctx: BenchContext,
  runId: string,
): Promise<Row> {
  const client = await createClient({ url: redisUrl }).connect();
  const persistenceStore = new CachePersistenceLayer({ client: client as never });
  const samples: number[] = [];
  // The per-record peer is slow: fewer repetitions for the largest batch.
  const repetitions = size >= 10_000 ? Math.min(ctx.repetitions, 3) : ctx.repetitions;
  for (let rep = 0; rep < ctx.warmup + repetitions; rep++) {
    const run = `${runId}-pt-${size}-${rep}`;
    const processRecord = makeIdempotent(async (_record: { key: string }) => true, {
      persistenceStore,
      config: new IdempotencyConfig({ eventKeyJmesPath: 'key', expiresAfterSeconds: 3600 }),
      keyPrefix: run,
    });
    const { seed, batch } = workload(size, run);
    for (const r of seed) await processRecord({ key: String(r.key) });
    const start = performance.now();
    for (const r of batch) {
      await processRecord({ key: String(r.key) }).catch(() => undefined);
    }
    const elapsed = performance.now() - start;
    if (rep >= ctx.warmup) samples.push(elapsed);
  }
  await client.quit();
  // Powertools: a GET, then a SET NX of the in-progress record, then a SET of the completed one for
  // a new record; a GET for a duplicate. Counted, not estimated, would need a proxy: this is its design.
  const dupes = Math.round(size * DUPLICATE_SHARE);
  return {
    impl: 'powertools',
    batch: size,
    ms: round(median(samples)),
    roundTrips: (size - dupes) * 2 + dupes,
  };
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/** Runs the dedup benchmark; see the module comment. */
export async function run(ctx: BenchContext): Promise<readonly Table[]> {
  const previous = previousBucketKeys(ctx.options);
  const rate = steadyStateRate(ctx.options);
  const steady = rate === undefined ? undefined : steadyStateKeys(rate, WINDOW_MS);
  const sizes = batchSizes(ctx.options);
  // The cluster row runs only when named: it needs the stack's Redis Cluster.
  const wanted = implFilter(ctx.options) ?? ((impl: string) => impl !== CLUSTER_IMPL);
  const guards = GUARDS.filter((g) => wanted(g.impl));
  // Every key of the run (groups, Powertools' prefix) names it: deleted at the end.
  const id = `bench-dedup-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
  // Redis and the Upstash REST endpoint: no Kafka, no DynamoDB.
  const cluster = guards.some((g) => g.redis === 'cluster');
  const { env, stop } = await benchStack(ctx, [
    'redis',
    'upstash',
    ...(cluster ? ['redis-cluster' as const] : []),
  ]);
  const rows: Row[] = [];
  try {
    for (const size of sizes) {
      for (const setup of guards) {
        ctx.log(`dedup: ${size} records, mskguard ${setup.how}${steady ? ', steady state (filling)' : ''}`);
        rows.push(
          await benchGuard(setup, env, size, ctx, {
            id,
            previousKeys: previous,
            ...(steady ? { steady } : {}),
          }),
        );
      }
      if (!wanted('powertools')) continue;
      ctx.log(`dedup: ${size} records, powertools makeIdempotent per record`);
      rows.push(await benchPowertools(env.REDIS_URL, size, ctx, id));
    }
  } finally {
    await cleanUpBenchKeys(ctx, 'dedup', env.REDIS_URL, `*${id}*`);
    if (cluster && env.REDIS_CLUSTER_NODES) {
      await deleteClusterBenchKeys(env.REDIS_CLUSTER_NODES, `*${id}*`).then(
        (n) => ctx.log(`dedup: deleted the run's ${n} Redis Cluster keys`),
        (error: Error) => ctx.log(`dedup: could not delete the run's Redis Cluster keys: ${error.message}`),
      );
    }
    await stop();
  }
  return dedupTables(rows, {
    duplicateShare: DUPLICATE_SHARE,
    partitions: PARTITIONS,
    sizes,
    previousKeys: previous,
    ...(rate === undefined ? {} : { steadyRate: rate }),
  });
}
