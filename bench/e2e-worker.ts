/**
 * Entry of one e2e worker process, started by `runInFreshProcess` so one consumer's JIT state cannot
 * slow the next: untimed warm-up runs, then timed runs, or one run under the CPU profiler. The
 * runs themselves are in e2e-run.ts, loaded only after this entry decided on source maps.
 */
import type { E2eImpl } from './e2e-consumers.ts';
import type { ProfileSummary } from './e2e-profile.ts';
import { answerFromFreshProcess, freshProcessSpec } from './table.ts';

/** What the parent asks of a worker. */
export interface WorkerSpec {
  readonly impl: E2eImpl;
  readonly partitions: number;
  readonly topic: string;
  /** High watermark per partition: a run ends when every one is committed. */
  readonly highs: readonly (readonly [number, number])[];
  readonly batchSize: number;
  readonly warmup: number;
  readonly repetitions: number;
  /** Makes the consumer groups (and so every Redis key and checkpoint) unique to this run. */
  readonly runId: string;
  readonly brokers: string;
  readonly dynamodbEndpoint: string;
  readonly redisUrl: string;
  readonly checkpointTable: string;
  /** Profile one run after the warm-up and write its `.cpuprofile` here (then no timed runs are wanted). */
  readonly profileFile?: string;
  readonly stallTimeoutMs: number;
}

/** One timed run. */
export interface RunSample {
  /** From the poller joining the group (it then fetches) to the commit of the last record. */
  readonly seconds: number;
  /** From joining to the first invocation: the first fetch and its encoding. */
  readonly firstInvokeMs: number;
  readonly invocations: number;
  /** Invocations that did not succeed (each one a retry): 0 in a clean run. */
  readonly failedInvocations: number;
  readonly problems: readonly string[];
  /** Distinct order ids whose effect ran, effects run, most runs of one id. */
  readonly effects: { readonly keys: number; readonly runs: number; readonly maxPerKey: number };
  /** mskguard's DuplicateWithheld by tier. */
  readonly withheld: Readonly<Record<string, number>>;
  /** Phase → { calls, ms } summed over partitions (see PhaseClock; plus `invoke` and `commit`). */
  readonly phases: Readonly<Record<string, { calls: number; ms: number }>>;
}

/** What a worker answers. */
export interface WorkerAnswer {
  readonly samples: readonly RunSample[];
  readonly profile?: ProfileSummary;
}

const spec = freshProcessSpec<WorkerSpec>();
if (spec) {
  // Source maps let the profile name TypeScript lines. They slow stack traces, so only the
  // profiling process, whose time is not reported, turns them on, before any project module loads.
  if (spec.profileFile) process.setSourceMapsEnabled(true);
  const { runWorker } = await import('./e2e-run.ts');
  await answerFromFreshProcess(await runWorker(spec));
  // kafkajs and the SDK may keep sockets or timers a moment longer; the answer is out.
  process.exit(0);
}
