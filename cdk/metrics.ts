import { Duration } from 'aws-cdk-lib';
import { Metric, type MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import {
  type DuplicateTier,
  METRIC_DIMENSIONS,
  METRICS_NAMESPACE,
  METRICS_SERVICE,
  type MSKGUARD_METRICS,
  type RESTORE_METRICS,
  type WATCHDOG_METRICS,
} from '../shared/observability/metric-names.ts';

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
export {
  DUPLICATE_TIERS,
  type DuplicateTier,
  METRIC_DIMENSIONS,
  METRICS_NAMESPACE,
  METRICS_SERVICE,
  MSKGUARD_METRICS,
  RESTORE_METRICS,
  WATCHDOG_METRICS,
} from '../shared/observability/metric-names.ts';

/** Name of one metric in {@link MSKGUARD_METRICS} (the consumer's) or {@link WATCHDOG_METRICS} (the watchdog's). */
export type MskGuardMetricName =
  | (typeof MSKGUARD_METRICS)[keyof typeof MSKGUARD_METRICS]
  | (typeof WATCHDOG_METRICS)[keyof typeof WATCHDOG_METRICS];

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

/**
 * A metric the restore function emits ({@link RESTORE_METRICS}), with its dimension set
 * {service, functionName} (docs/decisions/0021-restore-failure-metric.md).
 *
 * @example
 * ```ts
 * restoreMetric('RestoreFailed', restore.function.functionName, { statistic: 'Sum' });
 * ```
 */
export function restoreMetric(
  name: (typeof RESTORE_METRICS)[keyof typeof RESTORE_METRICS],
  functionName: string,
  options: Omit<MetricOptions, 'dimensionsMap'> = {},
): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: {
      [METRIC_DIMENSIONS.SERVICE]: METRICS_SERVICE,
      [METRIC_DIMENSIONS.FUNCTION_NAME]: functionName,
    },
    period: Duration.minutes(5),
    statistic: 'Sum',
    ...options,
  });
}
