import type { StackEndpoints } from '#local/stack-config.ts';
import type { TableNames } from '#local/tables.ts';
import { loseGroupOffsets, restoreWithAuto } from './faults.ts';
import { highWatermarks, produceOrders } from './kafka.ts';
import { produceOverTime, runSegment, SUSTAINED_FAULT_MS } from './produce.ts';
import type { LocalSession } from './session.ts';
import type { OrderRecord, WorkloadPlan } from './workload.ts';

/** Records waiting while the consumer is stopped, at least (segment 3, padded with fresh orders). */
const STOPPED_MIN_RECORDS = 3000;
/** Orders quarantined as probable duplicates (the alarm's threshold is 10 an hour). */
const QUARANTINED_ORDERS = 40;
/** Fresh orders processed while the cache is down. */
const DEGRADED_ORDERS = 200;
/** How long the cache outage lasts: 12 compressed minutes. */
const OUTAGE_MS = 12_000;

/** Records a fault run produced besides the plan: fresh orders (degraded segment) and re-sent ones (burst). */
export interface ExtraOrders {
  readonly fresh: readonly OrderRecord[];
  readonly duplicates: number;
}

/** What the fault run needs besides the session: where the stack is, and the run's names. */
export interface FaultContext {
  readonly endpoints: StackEndpoints;
  readonly tables: TableNames;
  readonly topic: string;
  readonly group: string;
  readonly note: (line: string) => void;
}

/** Three segments of the workload (40 / 30 / 30 %), a fault in or between each, then the sustained faults. */
export async function runWithFaults(
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
    tables: ctx.tables,
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
  note(
    `fault: cache outage: the dedup cache stops answering for ${OUTAGE_MS / 1000} s; ${DEGRADED_ORDERS} new orders arrive`,
  );
  try {
    // A stream over more than two compressed 5-minute periods, not one burst: a burst may be
    // consumed in two or three invocations, fewer than the 5 cache errors per period the
    // cacheErrors alarm needs, whereas a stream invokes several times in every period.
    if (!session.hasPoller()) await session.startPoller();
    await produceOverTime(session, topic, fresh, OUTAGE_MS);
    await session.waitCaughtUp(await highWatermarks(session.admin, topic));
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
