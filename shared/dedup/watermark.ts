import { type OffsetRange, sameSkipped, updateSkipped } from '../checkpoints/skipped.ts';
import type {
  CheckpointStore,
  CheckpointUpdate,
  PartitionRef,
  WatermarkSnapshot,
} from '../checkpoints/types.ts';
import type { ParsedBatch } from '../msk/index.ts';

const NO_CHECKPOINTS: WatermarkSnapshot = { epoch: 0, checkpoints: new Map() };

/**
 * The watermark tier (DynamoDB, exact, durable): an offset below its partition's checkpoint was
 * processed before, whatever the cache remembers. One BatchGetItem before the handler (`read`),
 * one TransactWriteItems after it (`advance`, with the checkpoint updates of {@link checkpointUpdates}).
 * Without a checkpoint store there are no watermarks and nothing is written.
 */
export class WatermarkTier {
  readonly #store: CheckpointStore | undefined;
  readonly #group: string;

  public constructor(store: CheckpointStore | undefined, group: string) {
    this.#store = store;
    this.#group = group;
  }

  /** Whether checkpoints are kept at all. */
  public get enabled(): boolean {
    return this.#store !== undefined;
  }

  /** The checkpoints of `partitions` and the group's dedup epoch. */
  public read(partitions: readonly PartitionRef[]): Promise<WatermarkSnapshot> {
    return this.#store ? this.#store.load(this.#group, partitions) : Promise.resolve(NO_CHECKPOINTS);
  }

  /** Which of these lease owners committed a checkpoint transaction (in-doubt keys). */
  public committedOwners(owners: readonly string[]): Promise<Set<string>> {
    return this.#store ? this.#store.committedOwners(this.#group, owners) : Promise.resolve(new Set());
  }

  /** Moves the checkpoints forward, with the effects the handler staged, in one transaction. */
  public async advance(
    updates: readonly CheckpointUpdate[],
    meta: { requestId: string; epoch: number; effects: readonly unknown[]; owner: string | undefined },
  ): Promise<void> {
    if (!this.#store || (updates.length === 0 && meta.effects.length === 0)) return;
    await this.#store.advance(this.#group, updates, {
      requestId: meta.requestId,
      epoch: meta.epoch,
      effects: meta.effects as never,
      ...(meta.owner ? { owner: meta.owner } : {}),
    });
  }
}

/** nextOffset per `topic-partition`, from a snapshot. */
export function watermarksOf(snapshot: WatermarkSnapshot): Map<string, number> {
  const watermarks = new Map<string, number>();
  for (const [partitionKey, checkpoint] of snapshot.checkpoints)
    watermarks.set(partitionKey, checkpoint.nextOffset);
  return watermarks;
}

/** The skipped ranges per `topic-partition` (only partitions that have some), from a snapshot. */
export function skippedOf(snapshot: WatermarkSnapshot): Map<string, readonly OffsetRange[]> {
  const skipped = new Map<string, readonly OffsetRange[]>();
  for (const [partitionKey, checkpoint] of snapshot.checkpoints)
    if (checkpoint.skipped?.length) skipped.set(partitionKey, checkpoint.skipped);
  return skipped;
}

/** A range of offsets a partition moved past without delivering them (a gap before this batch). */
export interface SkippedGap extends OffsetRange {
  readonly partitionKey: string;
}

/**
 * The gaps between each partition's checkpoint and the batch's first record: Lambda gave up on the
 * batch between them (bounded retries, on-failure destination), or they hold no deliverable record
 * (transaction markers, compaction, retention). Decision 0018.
 */
export function gapsOf(batch: ParsedBatch, watermarks: ReadonlyMap<string, number>): SkippedGap[] {
  const gaps: SkippedGap[] = [];
  for (const part of batch.partitions) {
    const gap = gapBefore(part.records[0]?.offset, watermarks.get(part.partitionKey));
    if (gap) gaps.push({ partitionKey: part.partitionKey, ...gap });
  }
  return gaps;
}

/** The offsets between a partition's checkpoint and its batch's first record, if any. */
function gapBefore(first: number | undefined, watermark: number | undefined): OffsetRange | undefined {
  return first !== undefined && watermark !== undefined && first > watermark
    ? { first: watermark, last: first - 1 }
    : undefined;
}

/**
 * Each partition's new checkpoint: its first record Lambda will deliver again (`retry`), or past
 * its last record. Only advances: a partition whose checkpoint would not move is left out (G3),
 * unless the batch processed offsets of its skipped ranges, which then leave the ranges (decision
 * 0018). A gap before the batch joins the ranges when the checkpoint moves past it.
 */
export function checkpointUpdates(
  batch: ParsedBatch,
  watermarks: ReadonlyMap<string, number>,
  retry: ReadonlyMap<string, number>,
  skipped: ReadonlyMap<string, readonly OffsetRange[]> = new Map(),
): CheckpointUpdate[] {
  const updates: CheckpointUpdate[] = [];
  for (const part of batch.partitions) {
    const first = part.records[0]?.offset;
    const last = part.records[part.records.length - 1]?.offset;
    if (first === undefined || last === undefined) continue;
    const { topic, partition, partitionKey } = part;
    const watermark = watermarks.get(partitionKey);
    const nextOffset = retry.get(partitionKey) ?? last + 1;
    const before = skipped.get(partitionKey) ?? [];
    // What the batch delivered (or withheld as a duplicate): up to where Lambda delivers it again.
    const covered = nextOffset > first ? { first, last: nextOffset - 1 } : undefined;
    if (nextOffset > (watermark ?? -1) && nextOffset > first) {
      const after = updateSkipped(before, gapBefore(first, watermark), covered);
      updates.push({ topic, partition, nextOffset, ...(after.length > 0 ? { skipped: after } : {}) });
    } else if (watermark !== undefined && before.length > 0) {
      const after = updateSkipped(before, undefined, covered);
      if (!sameSkipped(before, after))
        updates.push({ topic, partition, nextOffset: watermark, skipped: after, skippedBefore: before });
    }
  }
  return updates;
}
