import type { Checkpoint } from '../checkpoints/types.ts';
import { withDeadline } from '../deadline.ts';
import type { ConsumerHealth, EsmStatus, LagAdmin, WatchdogDeps, WatchdogTarget } from './types.ts';

/** Per partition of the topic: low and high offsets on the broker, the group's commit (-1: none). */
export interface PartitionOffsets {
  readonly partition: number;
  readonly low: number;
  readonly high: number;
  readonly committed: number;
  /** Where the group reads from without a commit; the log start (TRIM_HORIZON) when absent. */
  readonly start?: number;
}

async function partitionOffsets(admin: LagAdmin, group: string, topic: string): Promise<PartitionOffsets[]> {
  const [ends, commits] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId: group, topics: [topic] }),
  ]);
  const committed = new Map((commits[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  return ends.map((e) => ({
    partition: e.partition,
    low: Number(e.low),
    high: Number(e.high),
    committed: committed.get(e.partition) ?? -1,
  }));
}

/** Records waiting for the group: end offset minus the commit, or minus the log start without a commit. */
export function groupLag(offsets: readonly PartitionOffsets[]): number {
  return offsets.reduce((sum, p) => sum + Math.max(0, p.high - (p.committed >= 0 ? p.committed : p.low)), 0);
}

/**
 * The first offset a partition without a checkpoint item has not processed: its commit (an unguarded
 * past, or a group migrated onto the guard, may have one), else its starting position. Never below
 * the log start: records retention deleted are nobody's work. `mskguard status` judges by it too, so
 * the CLI and the watchdog agree on what is work (shared/status/collect.ts).
 */
export function firstUnprocessed(p: PartitionOffsets): number {
  return Math.max(p.low, p.committed >= 0 ? p.committed : (p.start ?? p.low));
}

/**
 * The checkpoint staleness that matters: for each partition with records beyond its checkpoint,
 * how old that checkpoint is. A quiet partition whose checkpoint is at its end is not stale however
 * old the checkpoint. A partition with no checkpoint item and records beyond where the group reads
 * from is as stale as the time since `uncheckpointedSinceMs` (the mapping's LastModified: from then
 * on it could have checkpointed), so a consumer that never checkpoints is not healthy for ever
 * (decision 0024); without that time it counts as behind, without an age.
 */
export function checkpointAgeBehind(
  offsets: readonly PartitionOffsets[],
  checkpoints: readonly Checkpoint[],
  nowMs: number,
  uncheckpointedSinceMs: number | null = null,
): { ageSeconds: number; partitionsBehind: number; partitionsWithoutCheckpoint: number } {
  const byPartition = new Map(checkpoints.map((c) => [c.partition, c]));
  let ageSeconds = 0;
  let partitionsBehind = 0;
  let partitionsWithoutCheckpoint = 0;
  const olderThan = (sinceMs: number) => {
    if (Number.isFinite(sinceMs)) ageSeconds = Math.max(ageSeconds, (nowMs - sinceMs) / 1000);
  };
  for (const p of offsets) {
    const checkpoint = byPartition.get(p.partition);
    if (checkpoint) {
      if (checkpoint.nextOffset >= p.high) continue;
      partitionsBehind++;
      olderThan(Date.parse(checkpoint.updatedAt));
    } else {
      if (firstUnprocessed(p) >= p.high) continue;
      partitionsBehind++;
      partitionsWithoutCheckpoint++;
      if (uncheckpointedSinceMs !== null) olderThan(uncheckpointedSinceMs);
    }
  }
  return { ageSeconds: Math.round(ageSeconds), partitionsBehind, partitionsWithoutCheckpoint };
}

/**
 * When a group without commits started reading, if not at the log start: LATEST starts at the end as
 * of the mapping's last (re)start, which LastModified dates; AT_TIMESTAMP at its timestamp. Records
 * before it are not the consumer's work: counting them would page a LATEST consumer on a quiet topic
 * with history. Null for TRIM_HORIZON, or when the mapping does not say. Shared with `mskguard status`.
 */
export function startedAtMs(
  esm: Pick<EsmStatus, 'startingPosition' | 'lastModified' | 'startingPositionTimestamp'> | null,
): number | null {
  const at =
    esm?.startingPosition === 'LATEST'
      ? esm.lastModified
      : esm?.startingPosition === 'AT_TIMESTAMP'
        ? esm.startingPositionTimestamp
        : undefined;
  const ms = Date.parse(at ?? '');
  return Number.isFinite(ms) ? ms : null;
}

const message = (what: string, error: unknown) => `${what}: ${(error as Error)?.message ?? String(error)}`;

const PART_TIMEOUT_MS = 15_000;

/**
 * Measures one consumer from outside: its ESM's status, whether a restore runs, its lag on the
 * broker and how stale its checkpoints are where records wait. Each part fails on its own.
 *
 * @example
 * ```ts
 * const health = await measureConsumer(target, { esm, restores, checkpoints, admin });
 * if (health.esmNotEnabled) console.warn(health.esm?.stateTransitionReason);
 * ```
 */
export async function measureConsumer(target: WatchdogTarget, deps: WatchdogDeps): Promise<ConsumerHealth> {
  const now = (deps.now ?? Date.now)();
  const group = target.consumerGroupId;
  const errors: string[] = [];
  const ms = deps.partTimeoutMs ?? PART_TIMEOUT_MS;
  // Each part gets its own deadline and failure; `start` defers the call so a synchronous throw
  // (a malformed answer's property read) is caught like a rejection.
  const part = <T>(what: string, start: () => Promise<T>): Promise<T | null> =>
    withDeadline(Promise.resolve().then(start), ms, () => new Error(`no answer within ${ms} ms`)).catch(
      (e): null => {
        errors.push(message(what, e));
        return null;
      },
    );
  const [esm, restoreRunning, offsets, checkpoints] = await Promise.all([
    part<EsmStatus>('event source mapping', () => deps.esm.status(target.eventSourceMappingId)),
    part<boolean>('audit table', () => deps.restores.running(group, now)),
    part<PartitionOffsets[]>('broker offsets', () => partitionOffsets(deps.admin, group, target.topic)),
    part<Checkpoint[]>('checkpoints', () => deps.checkpoints.listCurrent(group, target.topic)),
  ]);
  // An unknown restore state does not silence the ESM alarm: a page that a restore explains is
  // cheaper than a disabled consumer nobody hears about.
  const esmNotEnabled = esm === null ? null : esm.state !== 'Enabled' && restoreRunning !== true ? 1 : 0;
  const started = startedAtMs(esm);
  const uncheckpointed = (p: PartitionOffsets) =>
    p.committed < 0 && !checkpoints?.some((c) => c.partition === p.partition);
  let measured = offsets;
  if (offsets && checkpoints && started !== null && offsets.some(uncheckpointed)) {
    const starts = await part('broker offsets at the starting position', () =>
      deps.admin.fetchTopicOffsetsByTimestamp(target.topic, started),
    );
    const at = new Map((starts ?? []).map((s) => [s.partition, Number(s.offset)]));
    // Without them, records before the start would count as work: better no age than a false one.
    measured = starts ? offsets.map((p) => ({ ...p, start: at.get(p.partition) ?? p.low })) : null;
  }
  const sinceMs = Date.parse(esm?.lastModified ?? '');
  const behind =
    measured && checkpoints
      ? checkpointAgeBehind(measured, checkpoints, now, Number.isFinite(sinceMs) ? sinceMs : null)
      : { ageSeconds: null, partitionsBehind: null, partitionsWithoutCheckpoint: null };
  return {
    group,
    topic: target.topic,
    esm,
    restoreRunning,
    esmNotEnabled,
    esmProblem: esm === null ? null : esm.lastProcessingResult.startsWith('PROBLEM') ? 1 : 0,
    lag: offsets ? groupLag(offsets) : null,
    checkpointAgeBehindSeconds: behind.ageSeconds,
    partitionsBehind: behind.partitionsBehind,
    partitionsWithoutCheckpoint: behind.partitionsWithoutCheckpoint,
    errors,
  };
}
