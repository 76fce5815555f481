import type { Admin } from 'kafkajs';
import type { OffsetRange } from '../checkpoints/skipped.ts';

/**
 * The strategies of a restore (design §7). `file` takes explicit targets (a kafka-consumer-groups
 * CSV); `undo` puts back the offsets an audited restore found committed (`mskguard restore undo`).
 */
export const RESTORE_STRATEGIES = [
  'checkpoint',
  'history',
  'timestamp',
  'consumer-offsets',
  'auto',
  'file',
  'undo',
] as const;

/** One of {@link RESTORE_STRATEGIES}. */
export type RestoreStrategy = (typeof RESTORE_STRATEGIES)[number];

/** Strategies that read `at`; the others would silently restore something else than asked. */
export const STRATEGIES_READING_AT: ReadonlySet<RestoreStrategy> = new Set([
  'history',
  'timestamp',
  'consumer-offsets',
  'auto',
]);

/** Strategies that cannot run without `at`. */
export const STRATEGIES_NEEDING_AT: ReadonlySet<RestoreStrategy> = new Set(['history', 'timestamp']);

/** The CLI flags undo refuses: its targets (and partitions) come from the audit item; it recovers. */
export const UNDO_REFUSED_FLAGS = ['from-file', 'offsets', 'partitions', 'at', 'mode'] as const;

/**
 * A UUID: an event source mapping's id, or a restoreId as plan.ts makes it (crypto.randomUUID),
 * checked before any call (a typo would otherwise scan the whole audit table to answer "not found").
 */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Where a target offset comes from. The first four in the order `auto` prefers them: the exact
 * watermark of processed records first, then its history, then the broker's own commit log, then
 * record time. `file` and `undo` are explicit targets (`request.offsets`), never chosen by `auto`.
 */
export const TARGET_SOURCES = [
  'checkpoint',
  'history',
  'consumer-offsets',
  'timestamp',
  'file',
  'undo',
] as const;

/** One of {@link TARGET_SOURCES}. */
export type TargetSource = (typeof TARGET_SOURCES)[number];

/**
 * What happens to records between the restored offset and the checkpoint watermark.
 * - `recover`: they are delivered again and the watermark withholds those already processed (G1).
 * - `reprocess`: the group's dedup epoch is bumped, so the old watermark no longer applies and the
 *   handler sees them again.
 */
export const RESTORE_MODES = { recover: 'recover', reprocess: 'reprocess' } as const;

/** `'recover' | 'reprocess'`. */
export type RestoreMode = (typeof RESTORE_MODES)[keyof typeof RESTORE_MODES];

/** What an operator (CLI flags) or a Lambda event asks for. */
export interface RestoreRequest {
  readonly group: string;
  readonly topic: string;
  readonly strategy: RestoreStrategy;
  /** ISO-8601 or relative (`-2h`, `-30m`, `-45s`, `-1d`); required by history/timestamp/consumer-offsets. */
  readonly at?: string;
  /** @default 'recover' */
  readonly mode?: RestoreMode;
  /** Clamp targets outside [low, high] into the range instead of refusing. @default false */
  readonly clamp?: boolean;
  /** Apply the plan. @default false (dry run) */
  readonly execute?: boolean;
  /** UUID of the Lambda event source mapping that consumes as this group. */
  readonly esmUuid?: string;
  /** Who asked (CLI: $USER; Lambda: the caller's identity when it passes one). */
  readonly requestedBy?: string;
  /** Explicit targets, one per partition of the topic: required by `file` and `undo`, refused otherwise. */
  readonly offsets?: readonly ExplicitOffset[];
  /** The restoreId an `undo` reverts (its audit item holds the offsets put back). */
  readonly undoes?: string;
  /**
   * Restore only these partitions; the others keep their committed offsets untouched. Every one
   * must exist in the topic. Refused with `mode: 'reprocess'` (the dedup epoch is the group's).
   * @default every partition of the topic
   */
  readonly partitions?: readonly number[];
}

/** One explicit target: a line of a kafka-consumer-groups CSV, or an offset an audit item recorded. */
export interface ExplicitOffset {
  readonly partition: number;
  readonly offset: number;
}

/** A target offset one source proposes for one partition, and where exactly it came from. */
export interface Candidate {
  readonly partition: number;
  readonly offset: number;
  readonly source: TargetSource;
  /** Human-readable provenance, e.g. `checkpoint epoch 0 at 2025-01-01T00:00:00Z (req-1)`. */
  readonly detail: string;
}

/** What one source says for a topic: candidates, and why it has none for other partitions. */
export interface SourceAnswer {
  readonly source: TargetSource;
  readonly candidates: readonly Candidate[];
  /** Partition → why this source has no target for it. */
  readonly missing: ReadonlyMap<number, string>;
  /** Remarks that apply to the whole answer (e.g. `--at` is before the earliest record). */
  readonly notes: readonly string[];
}

/** The broker's log range of a partition: `low` = log start offset, `high` = high watermark. */
export interface PartitionRange {
  readonly partition: number;
  readonly low: number;
  readonly high: number;
}

/** One source's verdict on one partition, as `auto` explains it. */
export interface Consideration {
  readonly partition: number;
  readonly source: TargetSource;
  readonly offset: number | null;
  readonly verdict: 'chosen' | 'rejected' | 'not-needed';
  readonly reason: string;
}

/** One line of the dry-run table. */
export interface PlanRow {
  readonly partition: number;
  /** The group's committed offset now; `null` when it has none for this partition. */
  readonly committed: number | null;
  readonly low: number;
  readonly high: number;
  /** What the source said, before clamping; `null` when no source placed the partition. */
  readonly proposed: number | null;
  /** What will be set; `null` when the partition blocks the plan. */
  readonly target: number | null;
  /** `target - committed`: negative rewinds (records again), positive skips. */
  readonly delta: number | null;
  readonly source: TargetSource | null;
  readonly detail: string;
  readonly clamped: boolean;
  /** Why this partition blocks the plan (out of range without --clamp, no source). */
  readonly problem: string | null;
  /**
   * `recover` only: offsets at or after `target` that the current checkpoint records as skipped (no
   * handler processed them, decision 0018). The rewind delivers them and the watermark lets them
   * through, so this restore gets them processed. Absent when none, or when no checkpoint was read.
   */
  readonly skipped?: readonly OffsetRange[];
}

/** The plan: everything `--execute` would do, computed without changing anything. */
export interface RestorePlan {
  readonly restoreId: string;
  readonly group: string;
  readonly topic: string;
  readonly strategy: RestoreStrategy;
  readonly mode: RestoreMode;
  /** The resolved `--at`, ISO-8601, or `null`. */
  readonly at: string | null;
  readonly clamp: boolean;
  readonly esmUuid: string | null;
  readonly requestedBy: string;
  readonly plannedAt: string;
  /** kafkajs group state (`Empty`, `Stable`, `Dead` = no such group...). */
  readonly groupState: string;
  /** `clientId@host` of each member at planning time. */
  readonly members: readonly string[];
  readonly rows: readonly PlanRow[];
  /** Every source's verdict per partition (`auto`; a single line per partition otherwise). */
  readonly considered: readonly Consideration[];
  readonly warnings: readonly string[];
  /** Why `--execute` would be refused; empty when the plan is executable. */
  readonly refusals: readonly string[];
  /** For an `undo` plan: the restoreId it reverts (also in its audit item). */
  readonly undoes?: string;
  /** Set when the request named partitions: the rows are theirs only, the others are not touched. */
  readonly partitions?: readonly number[];
}

/** What happened to the event source mapping during an execution. */
export interface EsmOutcome {
  readonly uuid: string;
  /** State when the restore began (`Enabled`, `Disabled`...). */
  readonly initialState: string;
  readonly disabledByRestore: boolean;
  readonly reenabled: boolean;
  /** True when the restore failed after disabling it and left it disabled on purpose. */
  readonly leftDisabled: boolean;
}

/** The outcome of `--execute`. */
export interface RestoreResult {
  readonly restoreId: string;
  readonly status: 'succeeded' | 'failed' | 'refused';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly elapsedMs: number;
  /** Offsets committed (empty when it never got there). */
  readonly applied: readonly { readonly partition: number; readonly offset: number }[];
  /** Offsets read back with fetchOffsets after the write. */
  readonly verified: boolean;
  readonly esm: EsmOutcome | null;
  /** The new dedup epoch in `reprocess` mode. */
  readonly epoch: number | null;
  readonly audit: 'written' | 'failed' | 'skipped';
  /** Ordered log of what was done. */
  readonly steps: readonly string[];
  readonly error: { readonly name: string; readonly kind: string; readonly message: string } | null;
}

/** The kafkajs admin calls restore uses: a structural subset, so tests and wrappers stay small. */
export type RestoreAdmin = Pick<
  Admin,
  | 'listTopics'
  | 'fetchTopicOffsets'
  | 'fetchTopicOffsetsByTimestamp'
  | 'fetchOffsets'
  | 'setOffsets'
  | 'describeGroups'
>;

/** A progress line for stderr (the CLI) or the logger (the Lambda). */
export type ProgressSink = (line: string) => void;
