import { sameSkipped } from '../checkpoints/skipped.ts';
import type {
  AdvanceResult,
  Checkpoint,
  CheckpointStore,
  CheckpointUpdate,
  PartitionRef,
  WatermarkSnapshot,
} from '../checkpoints/types.ts';

const label = (topic: string, partition: number) => `${topic}-${partition}`;

/**
 * DynamoCheckpointStore's write conditions: forward only within an epoch; an update that only
 * shrinks the skipped ranges needs the offset and the ranges it read still stored (decision 0018).
 */
function writes(stored: Checkpoint | undefined, u: CheckpointUpdate, epoch: number): boolean {
  if (u.skippedBefore) {
    return (
      stored?.epoch === epoch &&
      stored.nextOffset === u.nextOffset &&
      sameSkipped(stored.skipped ?? [], u.skippedBefore)
    );
  }
  return !stored || stored.epoch < epoch || (stored.epoch === epoch && stored.nextOffset < u.nextOffset);
}

/**
 * An in-memory {@link CheckpointStore}: the watermark tier and checkpoints of a guarded handler in a
 * unit test, without DynamoDB. Same semantics as `DynamoCheckpointStore` where the middleware and
 * restore depend on them: forward-only current items per epoch, a history entry per write,
 * `historyAt` = the last entry at or before. `clock` lets a test write history at chosen times.
 *
 * @example
 * ```ts
 * const checkpoints = new MemoryCheckpointStore();
 * const handler = middy(myHandler).use(mskGuard({ consumerGroup: 'orders-v1', cache, checkpoints }));
 * ```
 */
export class MemoryCheckpointStore implements CheckpointStore {
  public readonly current = new Map<string, Checkpoint>();
  public readonly history: Checkpoint[] = [];
  public readonly epochs = new Map<string, number>();
  public readonly bumps: { group: string; requestId: string }[] = [];

  public constructor(public clock: () => Date = () => new Date()) {}

  public async load(group: string, partitions: readonly PartitionRef[]): Promise<WatermarkSnapshot> {
    const epoch = this.epochs.get(group) ?? 0;
    const checkpoints = new Map<string, Checkpoint>();
    for (const p of partitions) {
      const c = this.current.get(`${group}#${label(p.topic, p.partition)}`);
      if (c && c.epoch >= epoch) checkpoints.set(label(p.topic, p.partition), c);
    }
    return { epoch, checkpoints };
  }

  public async advance(
    group: string,
    updates: readonly CheckpointUpdate[],
    meta: { readonly requestId: string; readonly epoch: number; readonly owner?: string },
  ): Promise<AdvanceResult> {
    const advanced: CheckpointUpdate[] = [];
    const alreadyAhead: CheckpointUpdate[] = [];
    const updatedAt = this.clock().toISOString();
    if (meta.owner) this.committed.add(`${group}#${meta.owner}`);
    for (const u of updates) {
      const key = `${group}#${label(u.topic, u.partition)}`;
      const stored = this.current.get(key);
      if (!writes(stored, u, meta.epoch)) {
        alreadyAhead.push(u);
        continue;
      }
      const { topic, partition, nextOffset, skipped } = u;
      const checkpoint: Checkpoint = {
        group,
        topic,
        partition,
        nextOffset,
        ...(skipped?.length ? { skipped } : {}),
        epoch: meta.epoch,
        updatedAt,
        requestId: meta.requestId,
      };
      this.current.set(key, checkpoint);
      this.history.push(checkpoint);
      advanced.push(u);
    }
    return { advanced, alreadyAhead };
  }

  public async listCurrent(group: string, topic?: string): Promise<Checkpoint[]> {
    return [...this.current.values()]
      .filter((c) => c.group === group && (topic === undefined || c.topic === topic))
      .sort((a, b) => a.partition - b.partition);
  }

  public async historyAt(group: string, topic: string, at: Date): Promise<Checkpoint[]> {
    const last = new Map<number, Checkpoint>();
    for (const c of this.history) {
      if (c.group !== group || c.topic !== topic || Date.parse(c.updatedAt) > at.getTime()) continue;
      const kept = last.get(c.partition);
      if (!kept || kept.updatedAt <= c.updatedAt) last.set(c.partition, c);
    }
    return [...last.values()].sort((a, b) => a.partition - b.partition);
  }

  /** Owners whose advance carried `meta.owner` (the commit markers). */
  public readonly committed = new Set<string>();

  public async committedOwners(group: string, owners: readonly string[]): Promise<Set<string>> {
    return new Set(owners.filter((o) => this.committed.has(`${group}#${o}`)));
  }

  public async bumpEpoch(group: string, meta: { readonly requestId: string }): Promise<number> {
    const epoch = (this.epochs.get(group) ?? 0) + 1;
    this.epochs.set(group, epoch);
    this.bumps.push({ group, requestId: meta.requestId });
    return epoch;
  }
}
