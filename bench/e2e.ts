/**
 * `npm run bench -- e2e`: records per second through the whole local pipeline. A topic of N orders
 * (17% of them producer duplicates: an earlier order produced again, up to 3,000 records later) is
 * produced once per partition count; then every implementation reads all of it, each run in a new
 * consumer group, through the Lambda Kafka poller emulator (local/poller):
 * - `mskguard`: the handler wrapped by `mskGuard` (RESP to the local Redis, DynamoDB Local checkpoints);
 * - `bare`: the same handler without mskguard (the ceiling: poller, Kafka and the handler only);
 * - `powertools`: the same handler calling `makeIdempotent` once per record (Redis cache layer).
 * A run is timed from the poller joining the group (its first fetch follows) to the commit of the
 * last record; the table shows the median of the timed runs. The implementations take turns, one
 * run each per round, so drift of the machine's speed during the benchmark does not bias a ratio. Every run's effects are checked: once
 * per order for mskguard and powertools, once per record for bare.
 *
 * Options (`npm run bench -- --help` lists them; `npm run bench -- e2e --records 20000`): `--records`,
 * `--batch-size`, `--partitions`, `--impls`, `--no-profile`, and main's `--json`, `--repetitions`,
 * `--warmup`. The local stack must be running, or is started and stopped around the run.
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type Admin, Kafka, logLevel, Partitioners } from 'kafkajs';
import { createTopic, highWatermarks, produceOrders } from '#local/pipeline/kafka.ts';
import { PRODUCER_DUPLICATE_SHARE, planWorkload } from '#local/pipeline/workload.ts';
import { LOCAL_AWS } from '#local/services.ts';
import { PROJECT_ROOT, type StackEndpoints } from '#local/stack-config.ts';
import { ensureTables, type TableNames } from '#local/tables.ts';
import { type E2eOptions, e2eOptionsFrom } from './e2e-cli.ts';
import type { E2eImpl } from './e2e-consumers.ts';
import { type E2eResult, e2eTables } from './e2e-report.ts';
import type { WorkerAnswer, WorkerSpec } from './e2e-worker.ts';
import type { BenchContext } from './main.ts';
import { benchStack, cleanUpBenchKeys } from './stack.ts';
import { runInFreshProcess, type Table } from './table.ts';

/** Tables of the benchmark: keys and checkpoints are namespaced by consumer group, so runs share them. */
const BENCH_TABLES: TableNames = {
  checkpoints: 'mskguard-bench-checkpoints',
  quarantine: 'mskguard-bench-quarantine',
  audit: 'mskguard-bench-audit',
};

const WORKER = new URL('./e2e-worker.ts', import.meta.url).href;
/** Where the profiled run's `.cpuprofile` goes (git-ignored). */
const RESULTS_DIR = join(PROJECT_ROOT, 'bench', 'results');

interface PreparedTopic {
  readonly partitions: number;
  readonly topic: string;
  readonly highs: [number, number][];
}

async function produceTopics(
  admin: Admin,
  brokers: string,
  options: E2eOptions,
  runId: string,
  ctx: BenchContext,
) {
  const plan = planWorkload({
    records: options.records,
    duplicateRate: options.duplicateShare / PRODUCER_DUPLICATE_SHARE,
    keyPrefix: `e2e-${runId}`,
  });
  const kafka = new Kafka({ clientId: 'mskguard-bench', brokers: [brokers], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const topics: PreparedTopic[] = [];
  try {
    for (const partitions of options.partitions) {
      const topic = `bench-e2e-${runId}-p${partitions}`;
      ctx.log(`e2e: producing ${options.records} records (${plan.unique} distinct orders) to ${topic}`);
      await createTopic(admin, topic, partitions);
      await produceOrders(producer, topic, plan.records);
      topics.push({ partitions, topic, highs: [...(await highWatermarks(admin, topic))] });
    }
  } finally {
    await producer.disconnect();
  }
  return { topics, unique: plan.unique };
}

/** Fails the benchmark when a run's effects show a lost or duplicated record: its speed would mean nothing. */
function checkEffects(impl: E2eImpl, answer: WorkerAnswer, records: number, unique: number): void {
  for (const s of answer.samples) {
    const ok =
      impl === 'bare'
        ? s.effects.runs === records
        : s.effects.keys === unique && s.effects.runs === unique && s.effects.maxPerKey === 1;
    if (!ok || s.failedInvocations > 0) {
      throw new Error(
        `e2e: ${impl} ran ${s.effects.runs} effects for ${s.effects.keys} orders (expected ${impl === 'bare' ? records : unique}), ` +
          `${s.failedInvocations} failed invocations; problems: ${s.problems.join('; ') || 'none'}`,
      );
    }
  }
}

/** What every measurement of one benchmark run shares. */
interface RunContext {
  readonly env: StackEndpoints;
  readonly runId: string;
  readonly options: E2eOptions;
  readonly ctx: BenchContext;
  /** Distinct orders in the topic. */
  readonly unique: number;
}

/**
 * Times `impl` on `topic` in a worker process (warm-up runs, then `repetitions` timed ones, each
 * in a new group named after `round`); with `profile`, profiles one more run in another.
 */
async function measureImpl(
  run: RunContext,
  impl: E2eImpl,
  { partitions, topic, highs }: PreparedTopic,
  profile: boolean,
  round: { index: number; repetitions: number },
): Promise<E2eResult> {
  const { env, options, ctx } = run;
  ctx.log(
    `e2e: ${impl}, ${partitions} partition(s), batch size ${options.batchSize}, round ${round.index + 1}`,
  );
  const spec: WorkerSpec = {
    impl,
    partitions,
    topic,
    highs,
    batchSize: options.batchSize,
    warmup: ctx.warmup,
    repetitions: round.repetitions,
    runId: `${run.runId}-r${round.index}`,
    brokers: env.KAFKA_BROKERS,
    dynamodbEndpoint: env.DYNAMODB_ENDPOINT,
    redisUrl: env.REDIS_URL,
    checkpointTable: BENCH_TABLES.checkpoints,
    stallTimeoutMs: options.stallTimeoutMs,
  };
  const answer = await runInFreshProcess<WorkerAnswer>(WORKER, spec);
  checkEffects(impl, answer, options.records, run.unique);
  ctx.log(`e2e: ${impl} p${partitions}: ${answer.samples.map((s) => s.seconds.toFixed(2)).join(', ')} s`);
  if (!profile) return { impl, partitions, answer, profileFile: undefined };

  // A process of its own: the profiler and source maps must not slow the timed runs.
  const profileFile = join(RESULTS_DIR, `e2e-${impl}-p${partitions}.cpuprofile`);
  ctx.log(`e2e: ${impl} p${partitions}: one more run under the CPU profiler`);
  const profiled = await runInFreshProcess<WorkerAnswer>(WORKER, {
    ...spec,
    runId: `${run.runId}-prof`,
    warmup: Math.max(1, ctx.warmup),
    repetitions: 0,
    profileFile,
  } satisfies WorkerSpec);
  return {
    impl,
    partitions,
    answer: { ...answer, ...(profiled.profile && { profile: profiled.profile }) },
    profileFile,
  };
}

/**
 * Times every implementation on `topic` in interleaved rounds (mskguard, bare, powertools,
 * mskguard, ...), one timed run per implementation and round, each in a fresh worker process
 * after its warm-up: a machine that slows down or speeds up during the benchmark then weighs on
 * every implementation alike, not on whichever ran in that stretch.
 */
async function measureInterleaved(
  run: RunContext,
  topic: PreparedTopic,
  profiled: number | undefined,
): Promise<E2eResult[]> {
  const { options, ctx } = run;
  const merged = new Map<E2eImpl, E2eResult>();
  for (let index = 0; index < ctx.repetitions; index++) {
    for (const impl of options.impls) {
      const last = index === ctx.repetitions - 1;
      const profile = last && impl === 'mskguard' && topic.partitions === profiled;
      const result = await measureImpl(run, impl, topic, profile, { index, repetitions: 1 });
      const before = merged.get(impl);
      merged.set(
        impl,
        before === undefined
          ? result
          : {
              ...result,
              answer: { ...result.answer, samples: [...before.answer.samples, ...result.answer.samples] },
              profileFile: result.profileFile ?? before.profileFile,
            },
      );
    }
  }
  return options.impls.map((impl) => merged.get(impl)).filter((r): r is E2eResult => r !== undefined);
}

/** Runs the benchmark with `options` on the stack at `env`; returns its tables (throughput, phases, hot spots). */
async function runE2e(
  options: E2eOptions,
  ctx: BenchContext,
  env: StackEndpoints,
): Promise<readonly Table[]> {
  const load = loadavg();
  const runId = `${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
  const kafka = new Kafka({
    clientId: 'mskguard-bench',
    brokers: [env.KAFKA_BROKERS],
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  const dynamodb = new DynamoDBClient({ ...LOCAL_AWS, endpoint: env.DYNAMODB_ENDPOINT });
  const results: E2eResult[] = [];
  let topics: PreparedTopic[] = [];
  try {
    await admin.connect();
    await ensureTables(dynamodb, BENCH_TABLES);
    const produced = await produceTopics(admin, env.KAFKA_BROKERS, options, runId, ctx);
    topics = produced.topics;
    const profiled = options.profile ? Math.max(...options.partitions) : undefined;
    if (profiled !== undefined) await mkdir(RESULTS_DIR, { recursive: true });
    const run: RunContext = { env, runId, options, ctx, unique: produced.unique };
    for (const topic of topics) results.push(...(await measureInterleaved(run, topic, profiled)));
  } finally {
    await admin.deleteTopics({ topics: topics.map((t) => t.topic) }).catch(() => undefined);
    await cleanUpBenchKeys(ctx, 'e2e', env.REDIS_URL, `*bench-e2e-${runId}*`);
    await admin.disconnect();
    dynamodb.destroy();
  }
  return e2eTables(results, { ...options, loadBefore: load, loadAfter: loadavg() });
}

export { E2E_DEFAULTS, type E2eOptions } from './e2e-cli.ts';

/** Runs the benchmark with the options given on the command line; see the module comment. */
export async function run(ctx: BenchContext): Promise<readonly Table[]> {
  const all = e2eOptionsFrom(ctx.options);
  // Kafka, DynamoDB Local and Redis, started (if need be) once for every batch size.
  const { env, stop } = await benchStack(ctx, ['redis', 'dynamodb', 'kafka']);
  const tables: Table[] = [];
  try {
    for (const options of all) tables.push(...(await runE2e(options, ctx, env)));
  } finally {
    await stop();
  }
  return tables;
}
