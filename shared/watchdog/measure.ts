import type { Checkpoint } from '../checkpoints/types.ts';
import { withDeadline } from '../deadline.ts';
import type { ConsumerHealth, EsmStatus, LagAdmin, WatchdogDeps, WatchdogTarget } from './types.ts';

/** Per partition of the topic: low and high offsets on the broker, the group's commit (-1: none). */
interface PartitionOffsets {
  readonly partition: number;
  readonly low: number;
  readonly high: number;
  readonly committed: number;
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
 * The checkpoint staleness that matters: for each partition with records beyond its checkpoint,
 * how old that checkpoint is. A quiet partition whose checkpoint is at its end is not stale however
 * old the checkpoint; a partition with records and no checkpoint is counted as behind, without an age.
 */
export function checkpointAgeBehind(
  offsets: readonly PartitionOffsets[],
  checkpoints: readonly Checkpoint[],
  nowMs: number,
): { ageSeconds: number; partitionsBehind: number } {
  const byPartition = new Map(checkpoints.map((c) => [c.partition, c]));
  let ageSeconds = 0;
  let partitionsBehind = 0;
  for (const p of offsets) {
    const checkpoint = byPartition.get(p.partition);
    const next = checkpoint?.nextOffset ?? p.low;
    if (next >= p.high) continue;
    partitionsBehind++;
    if (!checkpoint) continue;
    const written = Date.parse(checkpoint.updatedAt);
    if (Number.isFinite(written)) ageSeconds = Math.max(ageSeconds, Math.max(0, (nowMs - written) / 1000));
  }
  return { ageSeconds: Math.round(ageSeconds), partitionsBehind };
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
  const behind =
    offsets && checkpoints
      ? checkpointAgeBehind(offsets, checkpoints, now)
      : { ageSeconds: null, partitionsBehind: null };
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
    errors,
  };
}
