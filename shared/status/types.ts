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
  /** `high - committed` (`high - low` without a commit). */
  readonly lag: number;
}

/** What GetEventSourceMapping says about the consumer. */
export interface EsmStatus {
  readonly uuid: string;
  readonly state: string;
  readonly stateTransitionReason: string | null;
  readonly lastProcessingResult: string | null;
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
  /** A partition with lag whose checkpoint is older than this is stalled. @default 900_000 (15 min) */
  readonly maxCheckpointAgeMs: number;
  /** Total lag above this is unhealthy. @default 100_000 */
  readonly maxLag: number;
}

/** Defaults of {@link StatusThresholds}. */
export const DEFAULT_THRESHOLDS: StatusThresholds = { maxCheckpointAgeMs: 900_000, maxLag: 100_000 };
