import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type LocalAlarmReport, localAlarmReport, synthesizeLocalTemplate } from '#local/alarms/index.ts';
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

/** Real time the duplicate burst and the stopped consumer last: beyond 3 five-minute periods. */
const SUSTAINED_FAULT_MS = 25_000;
/** Records waiting while the consumer is stopped, at least (segment 3, padded with fresh orders). */
const STOPPED_MIN_RECORDS = 3000;
/** Orders quarantined as probable duplicates (the alarm's threshold is 10 an hour). */
const QUARANTINED_ORDERS = 40;
/** Fresh orders processed while the cache is down. */
const DEGRADED_ORDERS = 200;

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
    const watchedFrom = Date.now();
    session.watchdog.start();
    let extra: ExtraOrders = { fresh: [], duplicates: 0 };
    if (faults) extra = await runWithFaults(session, plan, { ...options, endpoints, topic, group, note });
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

/** Records a fault run produced besides the plan: fresh orders (degraded segment) and re-sent ones (burst). */
export interface ExtraOrders {
  readonly fresh: readonly OrderRecord[];
  readonly duplicates: number;
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

/**
 * Without faults: the workload as a steady stream over the sustained-fault time (25 CloudWatch
 * minutes), so every alarm window is judged on normal traffic, duplicates and redeliveries included.
 */
async function runSteadily(
  session: LocalSession,
  orders: readonly OrderRecord[],
  topic: string,
  note: (line: string) => void,
): Promise<void> {
  note(
    `producing ${orders.length.toLocaleString('en-US')} records as a steady stream over ${SUSTAINED_FAULT_MS / 1000} s`,
  );
  await session.startPoller();
  const started = performance.now();
  await produceOverTime(session, topic, orders, SUSTAINED_FAULT_MS);
  // The poller consumed while the stream was produced: that time counts as consuming.
  session.consumeMs += performance.now() - started;
  await session.waitCaughtUp(await highWatermarks(session.admin, topic));
}

interface FaultContext extends LocalRunOptions {
  readonly endpoints: StackEndpoints;
  readonly topic: string;
  readonly group: string;
  readonly note: (line: string) => void;
}

/** Three segments of the workload (40 / 30 / 30 %), a fault in or between each, then the sustained faults. */
async function runWithFaults(
  session: LocalSession,
  plan: WorkloadPlan,
  ctx: FaultContext,
): Promise<ExtraOrders> {
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

  const fresh = await cacheOutage(session, topic, note, plan.records[0]?.orderId ?? 'order');
  const duplicates = await duplicateBurst(session, topic, note, plan.records.slice(0, cut1));
  const probable = await quarantineFault(session, topic, note, plan.records[0]?.orderId ?? 'order');

  await session.stopPoller();
  note(
    `fault: consumer stopped (the mapping is disabled); segment 3/3 is produced while it is down, for ${SUSTAINED_FAULT_MS / 1000} s`,
  );
  // Enough waiting records for the lag to pass the lagGrowing minimum (1,000) in a small run too.
  const backlog = freshOrders(
    `${plan.records[0]?.orderId ?? 'order'}-backlog`,
    Math.max(0, STOPPED_MIN_RECORDS - (plan.records.length - cut2)),
  );
  await produceOverTime(session, topic, [...plan.records.slice(cut2), ...backlog], SUSTAINED_FAULT_MS);
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
  return { fresh: [...fresh, ...probable, ...backlog], duplicates: duplicates + probable.length };
}

/** Orders with keys of their own, produced once. */
function freshOrders(prefix: string, count: number): OrderRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    orderId: `${prefix}-${i}`,
    amount: 10 + (i % 1000),
    currency: 'EUR',
    header: i % 2 === 0,
  }));
}

/** The cache stops answering while fresh orders arrive: the guard degrades (watermark + local filter). */
async function cacheOutage(
  session: LocalSession,
  topic: string,
  note: (line: string) => void,
  keySeed: string,
): Promise<OrderRecord[]> {
  // Orders never produced again: with the exact tier down their keys are not completed in Redis, so a
  // later duplicate of them would not be excluded across containers (what the degradedMode alarm is for).
  const fresh = freshOrders(`${keySeed}-degraded`, DEGRADED_ORDERS);
  session.cache.down = true;
  note(`fault: cache outage: the dedup cache stops answering; ${DEGRADED_ORDERS} new orders arrive`);
  try {
    await runSegment(session, fresh, topic, note, 'cache down: producing');
  } finally {
    session.cache.down = false;
  }
  note('cache back');
  return fresh;
}

/**
 * In probabilistic mode, orders processed in this container and then produced again hit the
 * in-container filter and are quarantined (DynamoDB), not processed: the quarantineGrowth alarm.
 */
async function quarantineFault(
  session: LocalSession,
  topic: string,
  note: (line: string) => void,
  keySeed: string,
): Promise<OrderRecord[]> {
  const orders = freshOrders(`${keySeed}-probabilistic`, QUARANTINED_ORDERS);
  session.consumer.useProbabilistic(true);
  try {
    await runSegment(session, orders, topic, note, 'probabilistic mode: producing');
    note(
      `fault: quarantine: the same ${QUARANTINED_ORDERS} orders produced again are Bloom hits in probabilistic mode`,
    );
    await runSegment(session, orders, topic, note, 'probabilistic mode: producing again');
  } finally {
    session.consumer.useProbabilistic(false);
  }
  return orders;
}

/** A producer resends already processed orders at new offsets, steadily, for the sustained-fault time. */
async function duplicateBurst(
  session: LocalSession,
  topic: string,
  note: (line: string) => void,
  processed: readonly OrderRecord[],
): Promise<number> {
  const resent = processed.slice(0, Math.min(processed.length, 4000));
  note(
    `fault: producer duplicate burst: ${resent.length} processed orders produced again over ${SUSTAINED_FAULT_MS / 1000} s`,
  );
  await produceOverTime(session, topic, resent, SUSTAINED_FAULT_MS);
  await session.waitCaughtUp(await highWatermarks(session.admin, topic));
  return resent.length;
}

/** Produces `orders` in small chunks spread over `durationMs` (a steady stream, not one burst). */
async function produceOverTime(
  session: LocalSession,
  topic: string,
  orders: readonly OrderRecord[],
  durationMs: number,
): Promise<void> {
  const stepMs = 250;
  const steps = Math.max(1, Math.floor(durationMs / stepMs));
  const chunk = Math.ceil(orders.length / steps);
  const started = Date.now();
  for (let i = 0; i < steps; i++) {
    const part = orders.slice(i * chunk, (i + 1) * chunk);
    if (part.length > 0) await produceOrders(session.producer, topic, part);
    const wait = started + (i + 1) * stepMs - Date.now();
    if (wait > 0) await sleep(wait);
  }
}
