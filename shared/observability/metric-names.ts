/**
 * The metrics the guarded consumer emits (Powertools Metrics, EMF). The CDK alarms and the
 * dashboard read exactly these names and dimensions (docs/decisions/0003-metrics.md): change
 * them here and there together, or an alarm goes silent.
 */
export const METRICS_NAMESPACE = 'MskGuard';

/** Value of the `service` dimension (POWERTOOLS_SERVICE_NAME) unless configured otherwise. */
export const METRICS_SERVICE = 'mskguard';

/** Dimension names. Every metric carries {service, consumerGroup}; DuplicateWithheld adds tier. */
export const METRIC_DIMENSIONS = {
  SERVICE: 'service',
  CONSUMER_GROUP: 'consumerGroup',
  TIER: 'tier',
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
