import { Duration } from 'aws-cdk-lib';
import { Metric, type MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';

/**
 * The custom metrics the alarms and the dashboard rely on. The functions emit them with
 * Powertools Metrics (EMF); the contract is docs/decisions/0003-metrics.md. A metric name or
 * dimension changed here without the emitter (or the reverse) silently disables an alarm.
 *
 * @example
 * ```ts
 * const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE });
 * metrics.addDimension(METRIC_DIMENSIONS.CONSUMER_GROUP, group);
 * metrics.addMetric(MSKGUARD_METRICS.RECORDS_IN, MetricUnit.Count, records.length);
 * ```
 */
export const METRICS_NAMESPACE = 'MskGuard';

/** Value of the `service` dimension Powertools adds to every metric (POWERTOOLS_SERVICE_NAME). */
export const METRICS_SERVICE = 'mskguard';

/** Dimension names. Every metric carries exactly {service, consumerGroup}; DuplicateWithheld adds tier. */
export const METRIC_DIMENSIONS = {
  SERVICE: 'service',
  CONSUMER_GROUP: 'consumerGroup',
  TIER: 'tier',
} as const;

/** Metric names emitted by the guarded consumer. */
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

/** Name of one metric in {@link MSKGUARD_METRICS}. */
export type MskGuardMetricName = (typeof MSKGUARD_METRICS)[keyof typeof MSKGUARD_METRICS];

/** Values of the `tier` dimension of DuplicateWithheld: the tier that proved the duplicate. */
export const DUPLICATE_TIERS = {
  WATERMARK: 'watermark',
  /** The same key earlier in the same batch. */
  BATCH: 'batch',
  EXACT: 'exact',
  BLOOM_LOCAL: 'bloom-local',
} as const;

/** One value of {@link DUPLICATE_TIERS}. */
export type DuplicateTier = (typeof DUPLICATE_TIERS)[keyof typeof DUPLICATE_TIERS];

/** Options of {@link mskGuardMetric}. */
export interface MskGuardMetricOptions extends Omit<MetricOptions, 'dimensionsMap'> {
  /** Only for DuplicateWithheld. */
  readonly tier?: DuplicateTier;
}

/**
 * A CloudWatch metric of the MskGuard namespace for one consumer group, with the exact dimension
 * set the emitter publishes (CloudWatch matches dimension sets exactly). No unit is set, so an
 * alarm matches the datapoints whatever unit the emitter declares (ADR 0003 lists the intended ones).
 *
 * @example
 * ```ts
 * mskGuardMetric('CacheError', 'orders-v1', { statistic: 'Sum', period: Duration.minutes(5) });
 * ```
 */
export function mskGuardMetric(
  name: MskGuardMetricName,
  consumerGroup: string,
  options: MskGuardMetricOptions = {},
): Metric {
  const { tier, ...rest } = options;
  const dimensionsMap: Record<string, string> = {
    [METRIC_DIMENSIONS.SERVICE]: METRICS_SERVICE,
    [METRIC_DIMENSIONS.CONSUMER_GROUP]: consumerGroup,
  };
  if (tier !== undefined) dimensionsMap[METRIC_DIMENSIONS.TIER] = tier;
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap,
    period: Duration.minutes(5),
    statistic: 'Sum',
    ...rest,
  });
}
