/**
 * The runs of one e2e worker process (see e2e-worker.ts): each run is a new consumer group reading
 * the whole pre-produced topic through a new {@link LambdaKafkaPoller}, over clients shared by
 * every run of the process, like a warm Lambda container's.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { findSourceMap } from 'node:module';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createClient } from '@redis/client';
import { LambdaKafkaPoller } from '#local/poller/index.ts';
import { LOCAL_AWS } from '#local/services.ts';
import { RespScriptRunner } from '#shared/cache/resp.ts';
import {
  type BenchConsumer,
  type ConsumerDeps,
  createBenchConsumer,
  PhaseClock,
  timedRunner,
  timedSender,
} from './e2e-consumers.ts';
import { type ProfileSummary, type SourcePosition, summarizeProfile } from './e2e-profile.ts';
import type { RunSample, WorkerAnswer, WorkerSpec } from './e2e-worker.ts';

process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_IDEMPOTENCY_DISABLED = 'false';

interface Probe {
  started(): Promise<void>;
  finished(): Promise<void>;
}

async function runOnce(spec: WorkerSpec, deps: ConsumerDeps, label: string, probe?: Probe) {
  const group = `bench-e2e-${spec.runId}-${spec.impl}-p${spec.partitions}-${label}`;
  const consumer: BenchConsumer = createBenchConsumer(spec.impl, group, deps);
  const clock = deps.clock;
  clock.reset();
  const poller = new LambdaKafkaPoller({
    brokers: [spec.brokers],
    topic: spec.topic,
    groupId: group,
    handler: consumer.handler,
    batchSize: spec.batchSize,
    // No window: the topic is already full, a fetch returns what is there (up to 6 MB a partition).
    batchingWindowMs: 0,
    maxConcurrency: spec.partitions,
  });
  const highs = new Map(spec.highs);
  const committed = new Map<number, number>();
  const lastInvoked = new Map<number, number>();
  const problems: string[] = [];
  let invocations = 0;
  let failedInvocations = 0;
  let firstInvokeAt: number | undefined;
  let lastProgress = Date.now();
  let finish: (at: number) => void = () => {};
  const finished = new Promise<number>((resolve) => {
    finish = resolve;
  });
  const caughtUp = () => [...highs].every(([p, high]) => (committed.get(p) ?? 0) >= high);
  poller.on('invoked', (e) => {
    const now = performance.now();
    firstInvokeAt ??= now - e.durationMs;
    invocations++;
    if (e.outcome !== 'success') failedInvocations++;
    clock.add('invoke', e.durationMs);
    lastInvoked.set(e.partition, now);
  });
  poller.on('committed', (e) => {
    const now = performance.now();
    clock.add('commit', now - (lastInvoked.get(e.partition) ?? now));
    committed.set(e.partition, e.offset);
    lastProgress = Date.now();
    if (caughtUp()) finish(now);
  });
  poller.on('problem', (error) => problems.push(error.message));

  (globalThis as { gc?: () => void }).gc?.();
  await poller.start();
  const startedAt = performance.now();
  await probe?.started();
  const stall = setInterval(() => {
    if (Date.now() - lastProgress > spec.stallTimeoutMs) finish(Number.NaN);
  }, 1000);
  const endedAt = caughtUp() ? startedAt : await finished;
  clearInterval(stall);
  await probe?.finished();
  await poller.stop();
  if (Number.isNaN(endedAt)) {
    throw new Error(
      `${spec.impl}: no offset committed for ${spec.stallTimeoutMs / 1000} s (committed ${JSON.stringify([...committed])}, ` +
        `high watermarks ${JSON.stringify(spec.highs)}; problems: ${problems.join('; ') || 'none'})`,
    );
  }
  const counts = [...consumer.effects.values()];
  return {
    seconds: (endedAt - startedAt) / 1000,
    firstInvokeMs: (firstInvokeAt ?? endedAt) - startedAt,
    invocations,
    failedInvocations,
    problems,
    effects: {
      keys: counts.length,
      runs: counts.reduce((a, b) => a + b, 0),
      maxPerKey: Math.max(0, ...counts),
    },
    withheld: { ...consumer.withheld },
    phases: Object.fromEntries(clock.phases),
  } satisfies RunSample;
}

/** The TypeScript line of a position in tsx's output, when source maps are enabled (the profiling process). */
function originalPosition(url: string, line: number, column: number): SourcePosition | undefined {
  const entry = (findSourceMap(url) as ReturnType<typeof findSourceMap> | undefined)?.findEntry(line, column);
  if (!entry || !('originalSource' in entry)) return undefined;
  return { source: entry.originalSource, line: entry.originalLine };
}

/** A probe that profiles the main thread from the poller's join to the last commit. */
function profiler(file: string, onSummary: (summary: ProfileSummary) => void): Probe {
  const session = new Session();
  return {
    started: async () => {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 250 });
      await session.post('Profiler.start');
    },
    finished: async () => {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      await writeFile(file, JSON.stringify(profile));
      onSummary(summarizeProfile(profile, { originalPosition }));
    },
  };
}

/** Runs the worker's warm-up, timed and profiled runs over shared (warm) clients. */
export async function runWorker(spec: WorkerSpec): Promise<WorkerAnswer> {
  const clock = new PhaseClock();
  const resp = new RespScriptRunner({ url: spec.redisUrl });
  const dynamodb = new DynamoDBClient({ ...LOCAL_AWS, endpoint: spec.dynamodbEndpoint });
  const redisClient =
    spec.impl === 'powertools' ? await createClient({ url: spec.redisUrl }).connect() : undefined;
  const deps: ConsumerDeps = {
    runner: timedRunner(resp, clock),
    dynamodb: timedSender(dynamodb, clock),
    checkpointTable: spec.checkpointTable,
    redisClient,
    clock,
  };
  const samples: RunSample[] = [];
  let profile: ProfileSummary | undefined;
  try {
    for (let i = 0; i < spec.warmup; i++) await runOnce(spec, deps, `w${i}`);
    for (let i = 0; i < spec.repetitions; i++) samples.push(await runOnce(spec, deps, `r${i}`));
    if (spec.profileFile) {
      await runOnce(
        spec,
        deps,
        'prof',
        profiler(spec.profileFile, (summary) => {
          profile = summary;
        }),
      );
    }
  } finally {
    await resp.close();
    await redisClient?.quit();
    dynamodb.destroy();
  }
  return profile ? { samples, profile } : { samples };
}
