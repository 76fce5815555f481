import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import type { OffsetRange } from './skipped.ts';

/**
 * The contract between the middleware (watermark tier, checkpoints after success), the restore
 * engine and the DynamoDB implementation. Table layout: docs/decisions/0002-dynamodb-table-schema.md
 * and cdk/constructs/checkpoint-tables.ts.
 */

/** A partition of a topic. */
export interface PartitionRef {
  readonly topic: string;
  readonly partition: number;
}

/** The checkpoint of one (group, topic, partition): every record below `nextOffset` was processed. */
export interface Checkpoint extends PartitionRef {
  readonly group: string;
  /** The first offset not yet known to be processed. */
  readonly nextOffset: number;
  /** The group's dedup epoch the checkpoint was written in (restore `reprocess` bumps it). */
  readonly epoch: number;
  /** ISO-8601 time of the write (the writer's clock: informational, never compared for safety). */
  readonly updatedAt: string;
  /** The Lambda request id (or restore id) that wrote it. */
  readonly requestId: string;
  /**
   * Offsets below `nextOffset` that no handler processed: the partition moved on past them (Lambda
   * gave up on a batch after its retries, or transaction markers and compaction left a gap).
   * A `recover` rewind delivers them instead of withholding them. Absent when there are none.
   */
  readonly skipped?: readonly OffsetRange[];
}

/** What the middleware needs before deduplicating a batch, read in one round trip. */
export interface WatermarkSnapshot {
  /** The group's current dedup epoch (0 when never bumped). */
  readonly epoch: number;
  /**
   * Current checkpoints by `topic-partition`, only those written in `epoch`: a checkpoint from an
   * older epoch is no watermark (reprocess mode wants those records again).
   */
  readonly checkpoints: ReadonlyMap<string, Checkpoint>;
}

/** One partition's new checkpoint. */
export interface CheckpointUpdate extends PartitionRef {
  readonly nextOffset: number;
  /** The partition's skipped ranges after this update (see {@link Checkpoint.skipped}). */
  readonly skipped?: readonly OffsetRange[];
  /**
   * Only on an update that keeps `nextOffset` and changes `skipped` (a rewound batch processed
   * skipped offsets): the ranges it read. It is written only if the stored checkpoint still has
   * this `nextOffset` and these ranges, so it never undoes a concurrent change.
   */
  readonly skippedBefore?: readonly OffsetRange[];
}

/** What `advance` did, per partition. */
export interface AdvanceResult {
  /** Partitions whose checkpoint moved forward. */
  readonly advanced: readonly CheckpointUpdate[];
  /** Partitions already at or past the update (a concurrent or later writer won): left as they are. */
  readonly alreadyAhead: readonly CheckpointUpdate[];
}

/** Who writes a checkpoint, in which epoch, and what the handler staged to commit with it. */
export interface AdvanceMeta {
  readonly requestId: string;
  readonly epoch: number;
  /**
   * Items the handler staged (`stageEffects`): written in the same TransactWriteItems as the
   * checkpoints, so a batch's effects are applied exactly when its checkpoints move forward.
   */
  readonly effects?: readonly TransactWriteItem[];
  /**
   * The invocation's lease owner id: a commit marker for it is written in the same transaction,
   * so a claim that finds this owner's lease expired can tell whether its batch committed.
   */
  readonly owner?: string;
}

/**
 * Checkpoints in a durable store. Writes only move forward (G3).
 *
 * @example
 * ```ts
 * const snapshot = await store.load('orders', [{ topic: 'orders', partition: 0 }]);
 * await store.advance('orders', [{ topic: 'orders', partition: 0, nextOffset: 42 }], { requestId, epoch: snapshot.epoch });
 * ```
 */
export interface CheckpointStore {
  /** Current checkpoints of these partitions and the group's epoch: at most one BatchGetItem. */
  load(group: string, partitions: readonly PartitionRef[]): Promise<WatermarkSnapshot>;
  /**
   * Moves checkpoints forward and writes a history item per partition, in one TransactWriteItems
   * per invocation (chunked at the service limit). A partition whose stored checkpoint is already
   * at or past the update, in the same or a newer epoch, is left as it is and reported.
   */
  advance(group: string, updates: readonly CheckpointUpdate[], meta: AdvanceMeta): Promise<AdvanceResult>;
  /** Every current checkpoint of a group (optionally of one topic), for restore. */
  listCurrent(group: string, topic?: string): Promise<Checkpoint[]>;
  /** Per partition, the last history item written at or before `at`, for restore `history --at`. */
  historyAt(group: string, topic: string, at: Date): Promise<Checkpoint[]>;
  /** Which of these lease owners committed a checkpoint transaction (one BatchGetItem). */
  committedOwners(group: string, owners: readonly string[]): Promise<Set<string>>;
  /** Bumps the group's epoch (restore `reprocess`); returns the new epoch. */
  bumpEpoch(group: string, meta: { readonly requestId: string }): Promise<number>;
}
