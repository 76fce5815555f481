import type { Admin } from 'kafkajs';
import type { Checkpoint } from '../checkpoints/types.ts';

/** One consumer the watchdog watches (the stack passes them in MSKGUARD_WATCHDOG_TARGETS). */
export interface WatchdogTarget {
  readonly consumerGroupId: string;
  readonly topic: string;
  /** UUID of the consumer's event source mapping. */
  readonly eventSourceMappingId: string;
  readonly functionName: string;
}

/** What the watchdog reads of an event source mapping (GetEventSourceMapping). */
export interface EsmStatus {
  /** `Enabled`, `Disabled`, `Enabling`, `Disabling`, `Creating`, `Updating`, `Deleting`, or `Missing` when not found. */
  readonly state: string;
  readonly stateTransitionReason: string;
  readonly lastProcessingResult: string;
  /**
   * When the mapping was last updated or changed state (LastModified), ISO-8601. A partition with
   * records waiting and no checkpoint item counts its checkpoint age from here: from then on the
   * consumer could have checkpointed (decision 0024). Absent when the source cannot tell (the local
   * poller emulator); such partitions then count as behind without an age.
   */
  readonly lastModified?: string;
  /** Where a group without a committed offset starts: `TRIM_HORIZON` (also when absent), `LATEST`, `AT_TIMESTAMP`. */
  readonly startingPosition?: string;
  /** With `AT_TIMESTAMP`: the start time, ISO-8601. */
  readonly startingPositionTimestamp?: string;
}

/** Reads an ESM's status: the Lambda API in AWS, the local poller emulator on one machine. */
export interface EsmStatusSource {
  status(uuid: string): Promise<EsmStatus>;
}

/** Whether a restore of a group is running now (the audit table in AWS). */
export interface RestoreActivity {
  running(group: string, nowMs: number): Promise<boolean>;
}

/** The current checkpoints of a group (the DynamoDB checkpoint store). */
export interface CheckpointReader {
  listCurrent(group: string, topic?: string): Promise<Checkpoint[]>;
}

/**
 * The broker calls the lag needs; `fetchTopicOffsetsByTimestamp` finds where a group without commits
 * starts when its mapping starts at LATEST or AT_TIMESTAMP.
 */
export type LagAdmin = Pick<Admin, 'fetchTopicOffsets' | 'fetchOffsets' | 'fetchTopicOffsetsByTimestamp'>;

/** What the watchdog measures with. */
export interface WatchdogDeps {
  readonly esm: EsmStatusSource;
  readonly restores: RestoreActivity;
  readonly checkpoints: CheckpointReader;
  readonly admin: LagAdmin;
  /** @default Date.now */
  readonly now?: () => number;
  /**
   * How long one part (ESM, audit table, broker, checkpoints) may take before it counts as failed.
   * Without it one hanging call (no route to the Lambda API) held back every consumer's line until
   * Lambda killed the run, and nothing said why. @default 15000 (the function's timeout is 50 s)
   */
  readonly partTimeoutMs?: number;
}

/**
 * One consumer's health at one instant. A part the watchdog could not measure is `null` (its
 * metric is then not emitted, and the alarm's missing-data rule decides), with the reason in `errors`.
 */
export interface ConsumerHealth {
  readonly group: string;
  readonly topic: string;
  readonly esm: EsmStatus | null;
  readonly restoreRunning: boolean | null;
  /** 1/0: the ESM is not Enabled and no restore explains it. */
  readonly esmNotEnabled: 0 | 1 | null;
  /** 1/0: LastProcessingResult reports a PROBLEM. */
  readonly esmProblem: 0 | 1 | null;
  /** End offsets minus committed offsets, summed (a partition without a commit counts from its start). */
  readonly lag: number | null;
  /**
   * Age of the stalest checkpoint among partitions with records beyond it; 0 when none is behind. A
   * partition with records waiting and no checkpoint item counts from the mapping's `lastModified`.
   */
  readonly checkpointAgeBehindSeconds: number | null;
  /**
   * Partitions with records beyond their checkpoint, or, without a checkpoint item, beyond where the
   * group reads from (its committed offset, else its starting position).
   */
  readonly partitionsBehind: number | null;
  /** Of `partitionsBehind`, those with no checkpoint item at all. */
  readonly partitionsWithoutCheckpoint: number | null;
  readonly errors: readonly string[];
}
