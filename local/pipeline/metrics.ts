import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Dimensions, MetricUnit } from '@aws-lambda-powertools/metrics/types';
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

/** Receives each EMF line the guard would print to stdout in Lambda. */
export type EmfLineSink = (line: string) => void;

interface RecorderOptions {
  readonly singleMetric?: boolean;
  readonly defaultDimensions?: Dimensions;
}

/**
 * A Powertools `Metrics` that adds every metric the middleware emits to {@link GuardTotals} and
 * hands the EMF line Powertools serializes to `sink` instead of stdout (where it would mix with the
 * local run's table): the local run reads the same metric names the CloudWatch alarms read
 * (shared/observability/metric-names.ts), and the alarm evaluator reads the very lines a Lambda would
 * print. Serialized even when POWERTOOLS_METRICS_DISABLED is set.
 *
 * @example
 * ```ts
 * const lines: string[] = [];
 * const metrics = new MetricsRecorder(undefined, (line) => lines.push(line));
 * mskGuard({ consumerGroup, cache, metrics });
 * ```
 */
export class MetricsRecorder extends Metrics {
  public readonly totals: GuardTotals;
  readonly #dimensions = new Map<string, string>();
  readonly #sink: EmfLineSink;
  // Set by the Powertools constructor (through setDefaultDimensions) before field initializers run,
  // so declared without one.
  private declare defaultsSeen: Dimensions | undefined;

  public constructor(totals?: GuardTotals, sink: EmfLineSink = () => {}, options: RecorderOptions = {}) {
    super({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE, ...options });
    this.totals = totals ?? { recordsIn: 0, withheld: {}, probable: 0, inProgress: 0, cacheErrors: 0 };
    this.#sink = sink;
    this.defaultsSeen = { ...options.defaultDimensions, ...this.defaultsSeen };
  }

  public override setDefaultDimensions(dimensions: Dimensions): this {
    this.defaultsSeen = { ...this.defaultsSeen, ...dimensions };
    return super.setDefaultDimensions(dimensions);
  }

  public override addDimension(name: string, value: string): this {
    this.#dimensions.set(name, value);
    return super.addDimension(name, value);
  }

  public override addMetric(name: string, unit: MetricUnit, value: number): this {
    const t = this.totals;
    if (name === M.RECORDS_IN) t.recordsIn += value;
    else if (name === M.DUPLICATE_WITHHELD) {
      const tier = this.#dimensions.get(METRIC_DIMENSIONS.TIER) ?? 'unknown';
      t.withheld[tier] = (t.withheld[tier] ?? 0) + value;
    } else if (name === M.PROBABLE_DUPLICATE) t.probable += value;
    else if (name === M.IN_PROGRESS_CONFLICT) t.inProgress += value;
    else if (name === M.CACHE_ERROR) t.cacheErrors += value;
    return super.addMetric(name, unit, value);
  }

  /** A single metric shares the totals and the sink; its dimensions (the tier) stay its own. */
  public override singleMetric(): Metrics {
    return new MetricsRecorder(this.totals, this.#sink, {
      singleMetric: true,
      defaultDimensions: this.defaultsSeen ?? {},
    });
  }

  public override publishStoredMetrics(): this {
    try {
      if (this.hasStoredMetrics()) this.#sink(JSON.stringify(this.serializeMetrics()));
    } finally {
      this.clearMetrics();
      this.clearDimensions();
      this.clearMetadata();
      this.#dimensions.clear();
    }
    return this;
  }
}
