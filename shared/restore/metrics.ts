import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { EmfSink } from '../observability/emf.ts';
import {
  METRIC_DIMENSIONS,
  METRICS_NAMESPACE,
  METRICS_SERVICE,
  RESTORE_METRICS,
} from '../observability/metric-names.ts';
import type { RestoreResponse } from './engine.ts';
import { RESTORE_EXIT_CODES } from './errors.ts';

/** What {@link emitRestoreOutcome} says about the run besides its answer. */
export interface RestoreMetricContext {
  /** The restore function's name: the metric's `functionName` dimension, which its alarm names. */
  readonly functionName: string;
  /** The group and topic asked for, when the request got that far. */
  readonly group?: string;
  readonly topic?: string;
}

/**
 * One EMF line per answer of the restore function: `RestoreFailed` = 1 when the restore failed
 * while executing (exit code 4), else 0. The handler answers every error instead of throwing, so
 * AWS/Lambda `Errors` counts only crashes and timeouts; this is the metric that pages for the rest.
 * Refusals (3), usage errors (2) and errors before planning (1) changed nothing and are answered to
 * whoever asked, so they count 0 (docs/decisions/0021-restore-failure-metric.md). Written to `sink`
 * even when POWERTOOLS_METRICS_DISABLED is set (tests).
 *
 * @example
 * ```ts
 * emitRestoreOutcome(response, { functionName: context.functionName, group: request.group }, stdoutSink);
 * ```
 */
export function emitRestoreOutcome(
  response: RestoreResponse,
  context: RestoreMetricContext,
  sink: EmfSink,
  service = METRICS_SERVICE,
): string {
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: service });
  metrics.addDimension(METRIC_DIMENSIONS.FUNCTION_NAME, context.functionName);
  const failed = response.exitCode === RESTORE_EXIT_CODES.failed;
  metrics.addMetric(RESTORE_METRICS.RESTORE_FAILED, MetricUnit.Count, failed ? 1 : 0);
  // Properties beside the metric: the runbook's Logs Insights query finds the run by them.
  if (context.group) metrics.addMetadata('consumerGroup', context.group);
  if (context.topic) metrics.addMetadata('topic', context.topic);
  metrics.addMetadata('exitCode', String(response.exitCode));
  const restoreId = response.plan?.restoreId;
  if (restoreId) metrics.addMetadata('restoreId', restoreId);
  if (response.error)
    metrics.addMetadata('restoreError', `${response.error.name}: ${response.error.message}`);
  const line = JSON.stringify(metrics.serializeMetrics());
  sink(line);
  return line;
}
