import { Metrics } from '@aws-lambda-powertools/metrics';
import type { MetricUnit } from '@aws-lambda-powertools/metrics/types';
import {
  MSKGUARD_METRICS as M,
  METRIC_DIMENSIONS,
  METRICS_NAMESPACE,
  METRICS_SERVICE,
} from '#shared/observability/metric-names.ts';

/** Totals of the guard's metrics over a run. */
export interface GuardTotals {
  /** Records delivered to the middleware (RecordsIn). */
  recordsIn: number;
  /** DuplicateWithheld by `tier` dimension (watermark, batch, exact, bloom-local). */
  withheld: Record<string, number>;
  probable: number;
  inProgress: number;
  cacheErrors: number;
}

/**
 * A Powertools `Metrics` that adds every metric the middleware emits to {@link GuardTotals}
 * instead of printing EMF to stdout: the local run reads the same metric names the CloudWatch
 * alarms read (shared/observability/metric-names.ts), not the middleware's internals.
 *
 * @example
 * ```ts
 * const metrics = new MetricsRecorder();
 * mskGuard({ consumerGroup, cache, metrics });
 * // ... later
 * console.log(metrics.totals.withheld.watermark);
 * ```
 */
export class MetricsRecorder extends Metrics {
  public readonly totals: GuardTotals;
  readonly #dimensions = new Map<string, string>();

  public constructor(totals?: GuardTotals) {
    super({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE });
    this.totals = totals ?? { recordsIn: 0, withheld: {}, probable: 0, inProgress: 0, cacheErrors: 0 };
  }

  public override addDimension(name: string, value: string): this {
    this.#dimensions.set(name, value);
    return this;
  }

  public override addMetric(name: string, _unit: MetricUnit, value: number): this {
    const t = this.totals;
    if (name === M.RECORDS_IN) t.recordsIn += value;
    else if (name === M.DUPLICATE_WITHHELD) {
      const tier = this.#dimensions.get(METRIC_DIMENSIONS.TIER) ?? 'unknown';
      t.withheld[tier] = (t.withheld[tier] ?? 0) + value;
    } else if (name === M.PROBABLE_DUPLICATE) t.probable += value;
    else if (name === M.IN_PROGRESS_CONFLICT) t.inProgress += value;
    else if (name === M.CACHE_ERROR) t.cacheErrors += value;
    return this;
  }

  /** A single metric shares the totals; its dimensions (the tier) stay its own. */
  public override singleMetric(): Metrics {
    return new MetricsRecorder(this.totals);
  }

  public override publishStoredMetrics(): this {
    return this;
  }
}
