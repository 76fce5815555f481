import { formatAlarmReport, type LocalAlarmReport } from '#local/alarms/index.ts';
import type { ExtraOrders } from './fault-run.ts';
import type { LocalSession } from './session.ts';
import type { WorkloadPlan } from './workload.ts';

/** One partition at the end of a run. */
export interface PartitionState {
  readonly partition: number;
  /** The checkpoint's nextOffset in DynamoDB; `null` when the guard never checkpointed it. */
  readonly checkpoint: number | null;
  /** The group's committed offset on the broker; `null` when it has none. */
  readonly committed: number | null;
  /** The partition's high watermark: where both must end. */
  readonly high: number;
}

/** Handler effects per business key, over every key produced. */
export interface EffectStats {
  readonly keys: number;
  readonly min: number;
  readonly max: number;
  /** Keys whose effect ran a number of times other than once (0 = lost, 2+ = duplicated). */
  readonly notOne: number;
}

/** What a local run did, as the table shows it and `--json` writes it. */
export interface LocalRunSummary {
  /** Every effect count is 1 and no record was lost. */
  readonly ok: boolean;
  readonly topic: string;
  readonly group: string;
  readonly partitions: number;
  readonly batchSize: number;
  readonly cache: string;
  readonly faults: readonly string[];
  readonly produced: number;
  readonly unique: number;
  readonly producerDuplicates: number;
  readonly redeliveriesInjected: number;
  /** Records delivered to the guard (RecordsIn), redeliveries and retries included. */
  readonly delivered: number;
  /** Records the business logic processed (effects). */
  readonly processed: number;
  readonly withheld: Readonly<Record<string, number>>;
  readonly effects: EffectStats;
  /** Unique business keys never processed. */
  readonly lost: number;
  readonly lostSample: readonly string[];
  readonly invocations: number;
  readonly retries: number;
  readonly onFailureBatches: number;
  readonly partitionStates: readonly PartitionState[];
  readonly latencyMs: { readonly p50: number; readonly p99: number };
  /** Records delivered per second of consuming (producing and restoring not counted). */
  readonly throughput: number;
  readonly consumeSeconds: number;
  readonly wallSeconds: number;
  /** The stack's alarms evaluated over the EMF lines the guard and the watchdog printed. */
  readonly alarms: LocalAlarmReport;
}

/** Nearest-rank percentile of `values` (0 when empty). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Effect counts over every business key produced; a key never processed counts 0. */
export function effectStats(keys: Iterable<string>, effects: ReadonlyMap<string, number>) {
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  let count = 0;
  let notOne = 0;
  const lost: string[] = [];
  for (const key of keys) {
    const n = effects.get(key) ?? 0;
    count++;
    min = Math.min(min, n);
    max = Math.max(max, n);
    if (n !== 1) notOne++;
    if (n === 0) lost.push(key);
  }
  return { stats: { keys: count, min: count ? min : 0, max, notOne }, lost };
}

const n = (value: number) => value.toLocaleString('en-US');

/**
 * The summary as a table for stdout.
 *
 * @example
 * ```ts
 * process.stdout.write(formatSummary(summary));
 * ```
 */
export function formatSummary(s: LocalRunSummary): string {
  const withheldTotal = Object.values(s.withheld).reduce((a, b) => a + b, 0);
  const tiers = [
    'watermark',
    'batch',
    'exact',
    ...Object.keys(s.withheld).filter((t) => !['watermark', 'batch', 'exact'].includes(t)),
  ];
  const rows: [string, string][] = [
    ['topic / group', `${s.topic} / ${s.group}`],
    ['partitions / batch size / cache', `${s.partitions} / ${s.batchSize} / ${s.cache}`],
    ['faults injected', s.faults.length ? s.faults.join(', ') : 'none (--no-faults)'],
    ['produced', n(s.produced)],
    ['unique business keys', n(s.unique)],
    ['producer duplicates', n(s.producerDuplicates)],
    ['redeliveries injected', n(s.redeliveriesInjected)],
    ['delivered to the guard', n(s.delivered)],
    ['processed by the handler', n(s.processed)],
    ...tiers.map((t): [string, string] => [`withheld: ${t}`, n(s.withheld[t] ?? 0)]),
    ['withheld: total', n(withheldTotal)],
    ['effects per key (min / max)', `${s.effects.min} / ${s.effects.max}`],
    ['keys with effects != 1', `${n(s.effects.notOne)}${s.effects.notOne ? '  <-- FAIL' : ''}`],
    ['lost records', `${n(s.lost)}${s.lost ? `  <-- FAIL (${s.lostSample.join(', ')})` : ''}`],
    [
      'invocations / retries / on-failure',
      `${n(s.invocations)} / ${n(s.retries)} / ${n(s.onFailureBatches)}`,
    ],
    ['batch latency p50 / p99', `${s.latencyMs.p50.toFixed(1)} ms / ${s.latencyMs.p99.toFixed(1)} ms`],
    ['throughput', `${n(Math.round(s.throughput))} records/s (${s.consumeSeconds.toFixed(1)} s consuming)`],
    ['wall time', `${s.wallSeconds.toFixed(1)} s`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`);
  const header = ['partition', 'checkpoint', 'committed', 'high watermark'];
  const cells = s.partitionStates.map((p) => [
    String(p.partition),
    p.checkpoint === null ? '-' : String(p.checkpoint),
    p.committed === null ? '-' : String(p.committed),
    String(p.high),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const row = (c: string[]) => c.map((v, i) => v.padStart(widths[i]!)).join('  ');
  return [
    `mskguard local run: ${s.ok ? 'OK, every business key took effect exactly once' : 'FAILED'}`,
    '',
    ...lines,
    '',
    row(header),
    ...cells.map(row),
    '',
    formatAlarmReport(s.alarms),
  ].join('\n');
}

/** What the summary says about the run besides what the session observed. */
export interface RunFacts {
  readonly topic: string;
  readonly group: string;
  readonly partitions: number;
  readonly batchSize: number;
  readonly cache: string;
  readonly faults: readonly string[];
  readonly wallSeconds: number;
}

/**
 * Reads the end state (checkpoints in DynamoDB, committed offsets and high watermarks on the
 * broker) and what the session counted, into the summary.
 */
export async function summarize(
  session: LocalSession,
  plan: WorkloadPlan,
  extra: ExtraOrders,
  alarms: LocalAlarmReport,
  facts: RunFacts,
): Promise<LocalRunSummary> {
  const [checkpoints, committed, highs] = await Promise.all([
    session.checkpoints.listCurrent(facts.group, facts.topic),
    session.admin.fetchOffsets({ groupId: facts.group, topics: [facts.topic] }),
    session.admin.fetchTopicOffsets(facts.topic),
  ]);
  const checkpointOf = new Map(checkpoints.map((c) => [c.partition, c.nextOffset]));
  const committedOf = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  const partitionStates = highs
    .map((h) => ({
      partition: h.partition,
      checkpoint: checkpointOf.get(h.partition) ?? null,
      committed: (committedOf.get(h.partition) ?? -1) >= 0 ? committedOf.get(h.partition)! : null,
      high: Number(h.high),
    }))
    .sort((a, b) => a.partition - b.partition);
  const { stats, lost } = effectStats(
    new Set([...plan.records, ...extra.fresh].map((r) => r.orderId)),
    session.consumer.effects,
  );
  const totals = session.consumer.totals;
  const consumeSeconds = session.consumeMs / 1000;
  return {
    ok: stats.notOne === 0 && lost.length === 0,
    ...facts,
    produced: plan.records.length + extra.fresh.length + extra.duplicates,
    unique: plan.unique + extra.fresh.length,
    producerDuplicates: plan.producerDuplicates + extra.duplicates,
    redeliveriesInjected: session.injector.injected,
    delivered: totals.recordsIn,
    processed: [...session.consumer.effects.values()].reduce((a, b) => a + b, 0),
    withheld: { ...totals.withheld },
    effects: stats,
    lost: lost.length,
    lostSample: lost.slice(0, 5),
    invocations: session.invocations,
    retries: session.retries,
    onFailureBatches: session.onFailureBatches,
    partitionStates,
    latencyMs: { p50: percentile(session.latencies, 50), p99: percentile(session.latencies, 99) },
    throughput: consumeSeconds > 0 ? totals.recordsIn / consumeSeconds : 0,
    consumeSeconds,
    alarms,
  };
}
