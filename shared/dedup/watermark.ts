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

/**
 * Each partition's new checkpoint: its first record Lambda will deliver again (`retry`), or past
 * its last record. Only advances: a partition whose checkpoint would not move is left out (G3).
 */
export function checkpointUpdates(
  batch: ParsedBatch,
  watermarks: ReadonlyMap<string, number>,
  retry: ReadonlyMap<string, number>,
): CheckpointUpdate[] {
  const updates: CheckpointUpdate[] = [];
  for (const part of batch.partitions) {
    const last = part.records[part.records.length - 1];
    if (!last) continue;
    const nextOffset = retry.get(part.partitionKey) ?? last.offset + 1;
    if (
      nextOffset > (watermarks.get(part.partitionKey) ?? -1) &&
      nextOffset > (part.records[0]?.offset ?? 0)
    ) {
      updates.push({ topic: part.topic, partition: part.partition, nextOffset });
    }
  }
  return updates;
}
