import { randomBytes } from 'node:crypto';
import { type LocalAlarmReport, localAlarmReport, synthesizeLocalTemplate } from '#local/alarms/index.ts';
import { runningStackEndpoints, stackUp } from '#local/stack.ts';
import type { StackEndpoints } from '#local/stack-config.ts';
import type { TableNames } from '#local/tables.ts';
import { ConfigurationError } from '#shared/errors.ts';
import { type ExtraOrders, runWithFaults } from './fault-run.ts';
import { createTopic } from './kafka.ts';
import { runSteadily } from './produce.ts';
import { ProgressDisplay, type ProgressStream } from './progress.ts';
import { LocalSession } from './session.ts';
import { type LocalRunSummary, summarize } from './summary.ts';
import { planWorkload } from './workload.ts';

/** Options of {@link runLocalPipeline}. */
export interface LocalRunOptions {
  /** Records produced, duplicates included. @default 20_000 */
  readonly records?: number;
  /** @default 3 */
  readonly partitions?: number;
  /** @default 500 (the CDK construct's default) */
  readonly batchSize?: number;
  /** Inject the faults (handler errors, a poller crash mid-batch, an offset loss and its restore). @default true */
  readonly faults?: boolean;
  /** @default 0.173 */
  readonly duplicateRate?: number;
  /** The exact tier's transport: the Upstash REST endpoint (as from Lambda) or RESP. @default 'upstash' */
  readonly cache?: 'upstash' | 'resp';
  /** The poller's batching window; shorter than Lambda's 500 ms so a local run is quick. @default 100 */
  readonly batchingWindowMs?: number;
  /** Fail when no offset is committed for this long. @default 120_000 */
  readonly stallTimeoutMs?: number;
  /** @default 173 */
  readonly seed?: number;
  /** The stack to use; by default the running one, started when it is not running (and left running). */
  readonly endpoints?: StackEndpoints;
  /** @default {@link LOCAL_TABLES} */
  readonly tables?: TableNames;
  /** Progress and phase lines. @default process.stderr */
  readonly progress?: ProgressStream;
}

/** The tables a local run uses (keys are namespaced by group, so every run shares them). */
export const LOCAL_TABLES: TableNames = {
  checkpoints: 'mskguard-local-checkpoints',
  quarantine: 'mskguard-local-quarantine',
  audit: 'mskguard-local-audit',
};

/** The names of the faults a run with `faults: true` injects, in order (runWithFaults, fault-run.ts). */
export const LOCAL_FAULTS = [
  'handler throws (batch retried)',
  'record fails mid-batch (partial response)',
  'consumer crash mid-batch',
  'cache outage (degraded mode)',
  'producer duplicate burst',
  'quarantine (probabilistic mode)',
  'consumer stopped (mapping disabled, records waiting)',
  'offset loss + restore auto',
] as const;

/**
 * The alarm kinds each injected fault must fire when the run's EMF lines are evaluated against the
 * synthesized stack's alarms (test/integration/local/alarms.test.ts asserts it).
 */
export const FAULT_ALARMS: Readonly<Record<string, readonly string[]>> = {
  'cache outage (degraded mode)': ['degradedMode', 'cacheErrors'],
  'producer duplicate burst': ['duplicateRate'],
  'quarantine (probabilistic mode)': ['quarantineGrowth'],
  'consumer stopped (mapping disabled, records waiting)': [
    'esmNotEnabled',
    'watchdogCheckpointAge',
    'lagGrowing',
  ],
};

/**
 * CloudWatch seconds per real second of a local run: one real second stands for one minute, so the
 * stack's 1- and 5-minute alarm periods pass within a run. Faults that an alarm judges over several
 * periods last that long in compressed time (a stopped consumer stays stopped for half a minute).
 */
export const LOCAL_TIME_SCALE = 60;

/** Below this, a segment may hold too few records for its fault to happen. */
const MIN_RECORDS_WITH_FAULTS = 100;

function positive(name: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max)
    throw new ConfigurationError(`${name} must be an integer in [1, ${max}], got ${value}`);
  return value;
}

/**
 * Runs the whole pipeline on the local stack: produces an order workload with duplicates to a new
 * topic, runs the guarded order consumer through the Lambda poller emulator, injects the faults
 * (a handler error, a record failing mid-batch, a poller crash mid-batch, an offset loss restored
 * with `restore auto`), and returns what happened, effects per business key included.
 *
 * @example
 * ```ts
 * const summary = await runLocalPipeline({ records: 2000 });
 * if (!summary.ok) process.exitCode = 1;
 * ```
 */
export async function runLocalPipeline(options: LocalRunOptions = {}): Promise<LocalRunSummary> {
  const wallStart = performance.now();
  const records = positive('records', options.records ?? 20_000, 10_000_000);
  const partitions = positive('partitions', options.partitions ?? 3, 1000);
  const batchSize = positive('batch size', options.batchSize ?? 500, 10_000);
  const faults = options.faults ?? true;
  if (faults && records < MIN_RECORDS_WITH_FAULTS) {
    throw new ConfigurationError(
      `the faults need at least ${MIN_RECORDS_WITH_FAULTS} records (each of the three segments needs invocations); ` +
        `got ${records}: produce more, or run without faults`,
    );
  }
  const stream = options.progress ?? process.stderr;
  const say = (line: string) => stream.write(`[local] ${line}\n`);

  const endpoints = options.endpoints ?? (await ensureStack(say));
  const runId = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const topic = `local-orders-${runId}`;
  const group = `local-orders-consumer-${runId}`;
  const plan = planWorkload({
    records,
    duplicateRate: options.duplicateRate ?? 0.173,
    keyPrefix: `order-${runId}`,
    seed: options.seed ?? 173,
  });
  const tables = options.tables ?? LOCAL_TABLES;
  let note = say;
  const session = new LocalSession({
    endpoints,
    tables,
    topic,
    group,
    batchSize,
    batchingWindowMs: options.batchingWindowMs ?? 100,
    cache: options.cache ?? 'upstash',
    stallTimeoutMs: options.stallTimeoutMs ?? 120_000,
    redeliveryBudget: plan.redeliveries,
    produced: records,
    note: (line) => note(line),
  });
  let progress: ProgressDisplay | undefined;
  try {
    await session.open();
    await createTopic(session.admin, topic, partitions);
    say(`topic ${topic} (${partitions} partitions), group ${group}, batch size ${batchSize}`);
    progress = new ProgressDisplay(stream, () => session.snapshot(records));
    const display = progress;
    note = (line) => display.note(line);
    const watchedFrom = Date.now();
    session.watchdog.start();
    let extra: ExtraOrders = { fresh: [], duplicates: 0 };
    if (faults) extra = await runWithFaults(session, plan, { endpoints, tables, topic, group, note });
    else await runSteadily(session, plan.records, topic, note);
    progress.stop();
    progress = undefined;
    await session.watchdog.stop();
    const watchedTo = Date.now();
    await session.stopPoller();
    say("evaluating the stack's alarms over the EMF lines of the run");
    const alarms = evaluateRunAlarms(session, { topic, partitions, group }, watchedFrom, watchedTo);
    return await summarize(session, plan, extra, alarms, {
      topic,
      group,
      partitions,
      batchSize,
      cache: options.cache ?? 'upstash',
      faults: faults ? [...LOCAL_FAULTS] : [],
      wallSeconds: (performance.now() - wallStart) / 1000,
    });
  } finally {
    progress?.stop();
    await session.close();
  }
}

function evaluateRunAlarms(
  session: LocalSession,
  shape: { topic: string; partitions: number; group: string },
  start: number,
  end: number,
): LocalAlarmReport {
  const template = synthesizeLocalTemplate(shape);
  return localAlarmReport(template, session.emf, { timeScale: LOCAL_TIME_SCALE, start, end });
}

async function ensureStack(say: (line: string) => void): Promise<StackEndpoints> {
  const running = runningStackEndpoints();
  if (running) {
    say('using the running local stack');
    return running;
  }
  say(
    'the local stack is not running: starting it (the first start fetches Kafka and DynamoDB Local from Maven Central)',
  );
  const { endpoints } = await stackUp({ log: (line) => say(`stack: ${line}`) });
  say('the local stack stays running after this run: `npm run stack:down` stops it');
  return endpoints;
}
