/**
 * The metrics the guarded consumer emits (Powertools Metrics, EMF). The CDK alarms and the
 * dashboard read exactly these names and dimensions (docs/decisions/0003-metrics.md): change
 * them here and there together, or an alarm goes silent.
 */
export const METRICS_NAMESPACE = 'MskGuard';

/** Value of the `service` dimension (POWERTOOLS_SERVICE_NAME) unless configured otherwise. */
export const METRICS_SERVICE = 'mskguard';

/**
 * Dimension names. Every consumer and watchdog metric carries {service, consumerGroup};
 * DuplicateWithheld adds tier. The restore function's metrics carry {service, functionName}.
 */
export const METRIC_DIMENSIONS = {
  SERVICE: 'service',
  CONSUMER_GROUP: 'consumerGroup',
  TIER: 'tier',
  FUNCTION_NAME: 'functionName',
} as const;

/** Metric names. */
export const MSKGUARD_METRICS = {
  RECORDS_IN: 'RecordsIn',
  DUPLICATE_WITHHELD: 'DuplicateWithheld',
  PROBABLE_DUPLICATE: 'ProbableDuplicate',
  IN_PROGRESS_CONFLICT: 'InProgressConflict',
  QUARANTINED: 'Quarantined',
  CACHE_ERROR: 'CacheError',
  DEGRADED_INVOCATION: 'DegradedInvocation',
  DEDUP_LATENCY: 'DedupLatency',
  CHECKPOINT_AGE_SECONDS: 'CheckpointAgeSeconds',
  CHECKPOINT_WRITTEN: 'CheckpointWritten',
  /** A claim waited for another owner's lease to end instead of failing the partition (ms waited). */
  LEASE_WAIT: 'LeaseWait',
  /** Owners whose complete or release failed on a cache blip, given back before a later claim. */
  LATE_SETTLEMENT: 'LateSettlement',
  /**
   * Offsets a partition moved past without delivering them (Lambda gave up on a batch after its
   * retries; also transaction markers and compaction): recorded so a recover rewind redoes them.
   */
  SKIPPED_OFFSETS: 'SkippedOffsets',
} as const;

/** Values of the `tier` dimension of DuplicateWithheld: the tier that proved the duplicate. */
export const DUPLICATE_TIERS = {
  WATERMARK: 'watermark',
  /** The same key earlier in the same batch. */
  BATCH: 'batch',
  EXACT: 'exact',
  BLOOM_LOCAL: 'bloom-local',
} as const;
export type DuplicateTier = (typeof DUPLICATE_TIERS)[keyof typeof DUPLICATE_TIERS];

/**
 * The metrics the watchdog (functions/watchdog.ts) emits once a minute per consumer group, measured
 * from outside the consumer, so they keep coming when the consumer stops. Same namespace and
 * dimensions ({service, consumerGroup}) as the consumer's metrics; names of their own, so the two
 * never mix in one statistic (docs/decisions/0013-watchdog-and-alarm-proofs.md).
 */
export const WATCHDOG_METRICS = {
  /** 1 when the ESM's State is not `Enabled` and no restore of the group is running, else 0. */
  ESM_NOT_ENABLED: 'EsmNotEnabled',
  /** 1 when the ESM's LastProcessingResult starts with `PROBLEM`, else 0. */
  ESM_PROBLEM: 'EsmProblem',
  /** 1 while the audit table shows a restore of the group running, else 0. */
  RESTORE_RUNNING: 'RestoreRunning',
  /** Records between the group's committed offsets and the end offsets, summed over partitions. */
  GROUP_LAG: 'GroupLag',
  /**
   * Seconds since the newest checkpoint of a partition that has records beyond its checkpoint
   * (the maximum over such partitions); 0 when every checkpoint is at the end of its partition.
   */
  CHECKPOINT_AGE_BEHIND_SECONDS: 'WatchdogCheckpointAgeSeconds',
  /** 1 per consumer per run: the watchdog itself is alive. */
  WATCHDOG_RUN: 'WatchdogRun',
} as const;

/**
 * The metric the restore function (functions/restore.ts) emits once per answer, with dimensions
 * {service, functionName}: one function restores many groups and its alarm may read at most 10
 * metrics, so the group is a log field, not a dimension (docs/decisions/0021-restore-failure-metric.md).
 */
export const RESTORE_METRICS = {
  /**
   * 1 when the restore failed while executing (exit code 4: offsets or the ESM may need attention),
   * else 0. A usage error (2), a refusal (3) or an error before planning (1) changed nothing: 0.
   */
  RESTORE_FAILED: 'RestoreFailed',
} as const;
