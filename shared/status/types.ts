import type { OffsetRange } from '../checkpoints/skipped.ts';

/** One partition at a glance. */
export interface PartitionStatus {
  readonly partition: number;
  /** The group's committed offset; `null` when it has none. */
  readonly committed: number | null;
  /** The DynamoDB checkpoint (next offset to process); `null` when none, or no table was given. */
  readonly checkpoint: number | null;
  readonly checkpointAt: string | null;
  readonly checkpointAgeMs: number | null;
  /**
   * Offsets below the checkpoint that no handler processed (decision 0018): a batch Lambda gave up
   * on, or a gap with no record (transaction markers, compaction). Absent when none.
   */
  readonly skipped?: readonly OffsetRange[];
  /** Log start offset. */
  readonly low: number;
  /** High watermark (end of the log). */
  readonly high: number;
  /**
   * `high - committed`; without a commit, `high` less where the group starts reading: the log start, or
   * for a LATEST / AT_TIMESTAMP mapping read with --esm-uuid its starting position (decision 0024).
   */
  readonly lag: number;
  /**
   * Only for a partition with no checkpoint item (the checkpoint table was read): the first offset
   * its consumer has not processed, counted as the watchdog counts it (decision 0024): the committed
   * offset, else the mapping's starting position (the log start for TRIM_HORIZON or without an ESM),
   * never below the log start. Records from here to `high` are work that no checkpoint covers.
   */
  readonly unprocessedFrom?: number;
}

/** What GetEventSourceMapping says about the consumer. */
export interface EsmStatus {
  readonly uuid: string;
  readonly state: string;
  readonly stateTransitionReason: string | null;
  readonly lastProcessingResult: string | null;
  /**
   * When the mapping was last updated or changed state (LastModified), ISO-8601: a partition with
   * work and no checkpoint item has had since then to write one (decision 0024). Absent when unknown.
   */
  readonly lastModified?: string;
  /** `TRIM_HORIZON`, `LATEST` or `AT_TIMESTAMP`: where a group without a commit starts. Absent when unknown. */
  readonly startingPosition?: string;
  /** With `AT_TIMESTAMP`: the start time, ISO-8601. */
  readonly startingPositionTimestamp?: string;
}

/** The verdict: one line, and whether it is healthy. */
export interface Verdict {
  readonly healthy: boolean;
  /** `healthy` or `<problem>: <details>`, e.g. `stalled: checkpoint 14 min old, ESM Enabled, lag 52,000`. */
  readonly text: string;
  /** Each problem found, in order of severity. */
  readonly problems: readonly string[];
  /** What needs a look but not a page, e.g. skipped offsets and the restore that processes them. */
  readonly notes: readonly string[];
}

/** A group on a topic at a glance (`mskguard status`, `--json`). */
export interface GroupStatus {
  readonly group: string;
  readonly topic: string;
  readonly readAt: string;
  /** Broker group state (`Empty`, `Stable`, `Dead` = unknown to the broker...). */
  readonly groupState: string;
  readonly members: number;
  readonly partitions: readonly PartitionStatus[];
  readonly totalLag: number;
  /** Records in quarantine (status QUARANTINED); `null` when no quarantine table was given. */
  readonly quarantined: number | null;
  readonly esm: EsmStatus | null;
  readonly verdict: Verdict;
}

/** When a group counts as unhealthy. */
export interface StatusThresholds {
  /**
   * A partition with lag whose checkpoint is older than this is stalled; so is one with work and no
   * checkpoint whose mapping changed longer ago than this. @default 900_000 (15 min)
   */
  readonly maxCheckpointAgeMs: number;
  /** Total lag above this is unhealthy. @default 100_000 */
  readonly maxLag: number;
}

/** Defaults of {@link StatusThresholds}. */
export const DEFAULT_THRESHOLDS: StatusThresholds = { maxCheckpointAgeMs: 900_000, maxLag: 100_000 };
