import { randomBytes } from 'node:crypto';
import { runningStackEndpoints, stackUp } from '#local/stack.ts';
import type { StackEndpoints } from '#local/stack-config.ts';
import type { TableNames } from '#local/tables.ts';
import { ConfigurationError } from '#shared/errors.ts';
import { loseGroupOffsets, restoreWithAuto } from './faults.ts';
import { createTopic, highWatermarks, produceOrders } from './kafka.ts';
import { ProgressDisplay, type ProgressStream } from './progress.ts';
import { LocalSession } from './session.ts';
import { type LocalRunSummary, summarize } from './summary.ts';
import { type OrderRecord, planWorkload, type WorkloadPlan } from './workload.ts';

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

/** The names of the faults a run with `faults: true` injects, in order. */
export const LOCAL_FAULTS = [
  'handler throws (batch retried)',
  'record fails mid-batch (partial response)',
  'consumer crash mid-batch',
  'offset loss + restore auto',
] as const;

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
  let note = say;
  const session = new LocalSession({
    endpoints,
    tables: options.tables ?? LOCAL_TABLES,
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
    if (faults) await runWithFaults(session, plan, { ...options, endpoints, topic, group, note });
    else await runSegment(session, plan.records, topic, note, 'producing');
    progress.stop();
    progress = undefined;
    await session.stopPoller();
    return await summarize(session, plan, {
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

/** Produces `orders`, makes sure a poller runs, and waits until the group committed all of it. */
async function runSegment(
  session: LocalSession,
  orders: readonly OrderRecord[],
  topic: string,
  note: (line: string) => void,
  what: string,
): Promise<void> {
  note(`${what} ${orders.length.toLocaleString('en-US')} records`);
  await produceOrders(session.producer, topic, orders);
  const highs = await highWatermarks(session.admin, topic);
  if (!session.hasPoller()) await session.startPoller();
  await session.waitCaughtUp(highs);
}

interface FaultContext extends LocalRunOptions {
  readonly endpoints: StackEndpoints;
  readonly topic: string;
  readonly group: string;
  readonly note: (line: string) => void;
}

/** Three segments of the workload (40 / 30 / 30 %), a fault in or between each. */
async function runWithFaults(session: LocalSession, plan: WorkloadPlan, ctx: FaultContext): Promise<void> {
  const { note, topic, group } = ctx;
  const cut1 = Math.floor(plan.records.length * 0.4);
  const cut2 = Math.floor(plan.records.length * 0.7);

  session.consumer.failNextInvocation();
  session.consumer.failRecordMidBatch();
  await runSegment(session, plan.records.slice(0, cut1), topic, note, 'segment 1/3: producing');
  if (session.consumer.pendingFaults() > 0)
    note('warning: a handler fault did not fire (too few invocations)');

  session.armCrash();
  note('fault armed: the poller dies after its next successful invocation, before committing it');
  await produceOrders(session.producer, topic, plan.records.slice(cut1, cut2));
  note(`segment 2/3: produced ${(cut2 - cut1).toLocaleString('en-US')} records`);
  const highs2 = await highWatermarks(session.admin, topic);
  const crashed = await session.waitForCrash();
  note(
    `fault: consumer crash mid-batch: ${crashed.topic}-${crashed.partition}@${crashed.firstOffset}..${crashed.lastOffset} ` +
      'succeeded but was never committed; a new poller joins the group and reads from the last commit',
  );
  await session.startPoller();
  await session.waitCaughtUp(highs2);

  await session.stopPoller();
  note('consumer stopped; segment 3/3 is produced while it is down');
  await produceOrders(session.producer, topic, plan.records.slice(cut2));
  const highs3 = await highWatermarks(session.admin, topic);
  const lost = await loseGroupOffsets(session.admin, group, topic);
  note(
    `fault: offset loss: group ${group} deleted with its committed offsets ${JSON.stringify(Object.fromEntries(lost))}`,
  );
  note('restoring the group with the restore engine (strategy auto, executed):');
  await restoreWithAuto({
    brokers: [ctx.endpoints.KAFKA_BROKERS],
    group,
    topic,
    tables: ctx.tables ?? LOCAL_TABLES,
    dynamodbEndpoint: ctx.endpoints.DYNAMODB_ENDPOINT,
    note,
  });
  await session.startPoller();
  await session.waitCaughtUp(highs3);
}
