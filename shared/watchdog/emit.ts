import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricUnit as Unit } from '@aws-lambda-powertools/metrics/types';
import type { EmfSink } from '../observability/emf.ts';
import {
  METRIC_DIMENSIONS,
  METRICS_NAMESPACE,
  METRICS_SERVICE,
  WATCHDOG_METRICS as W,
} from '../observability/metric-names.ts';
import type { ConsumerHealth } from './types.ts';

export { type EmfSink, stdoutSink } from '../observability/emf.ts';

/**
 * One EMF line with the health of one consumer: the same namespace, `service` and `consumerGroup`
 * dimensions as the consumer's own metrics (shared/observability/metric-names.ts). A part that could
 * not be measured is left out, so the alarm's missing-data rule applies to it; an unreadable ESM also
 * withholds WatchdogCheckpointAgeSeconds, so that blindness pages instead of passing as healthy. Serialized by
 * Powertools Metrics, and written to `sink` even when POWERTOOLS_METRICS_DISABLED is set (tests).
 *
 * @example
 * ```ts
 * emitHealth(health, stdoutSink);
 * ```
 */
export function emitHealth(health: ConsumerHealth, sink: EmfSink, service = METRICS_SERVICE): string {
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: service });
  metrics.addDimension(METRIC_DIMENSIONS.CONSUMER_GROUP, health.group);
  metrics.addMetric(W.WATCHDOG_RUN, MetricUnit.Count, 1);
  const add = (name: string, unit: Unit, value: number | null) => {
    if (value !== null) metrics.addMetric(name, unit, value);
  };
  add(W.ESM_NOT_ENABLED, MetricUnit.Count, health.esmNotEnabled);
  add(W.ESM_PROBLEM, MetricUnit.Count, health.esmProblem);
  add(
    W.RESTORE_RUNNING,
    MetricUnit.Count,
    health.restoreRunning === null ? null : Number(health.restoreRunning),
  );
  add(W.GROUP_LAG, MetricUnit.Count, health.lag);
  // EsmNotEnabled's alarm treats missing data as fine, so an ESM the watchdog cannot read (no
  // lambda:GetEventSourceMapping, throttled, no route to the Lambda API) would page nobody while the
  // line still said "checkpoints fine". Withholding the staleness metric too makes the one alarm whose
  // missing data breaches (watchdogCheckpointAge: "nobody is watching") page; the value stays readable
  // in the log line.
  if (health.esm === null && health.checkpointAgeBehindSeconds !== null) {
    metrics.addMetadata('checkpointAgeBehindSecondsWithheld', String(health.checkpointAgeBehindSeconds));
  } else {
    add(W.CHECKPOINT_AGE_BEHIND_SECONDS, MetricUnit.Seconds, health.checkpointAgeBehindSeconds);
  }
  // Properties beside the metrics: searchable in Logs Insights, ignored by CloudWatch Metrics.
  metrics.addMetadata('topic', health.topic);
  if (health.esm) {
    metrics.addMetadata('esmState', health.esm.state);
    metrics.addMetadata('esmStateTransitionReason', health.esm.stateTransitionReason);
    metrics.addMetadata('esmLastProcessingResult', health.esm.lastProcessingResult);
    if (health.esm.lastModified) metrics.addMetadata('esmLastModified', health.esm.lastModified);
  }
  // Says where the age came from: for these partitions it counts from esmLastModified, not a checkpoint.
  if (health.partitionsWithoutCheckpoint) {
    metrics.addMetadata('partitionsWithoutCheckpoint', String(health.partitionsWithoutCheckpoint));
  }
  if (health.errors.length > 0) metrics.addMetadata('watchdogErrors', health.errors.join('; '));
  const line = JSON.stringify(metrics.serializeMetrics());
  sink(line);
  return line;
}
