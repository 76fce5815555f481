import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { CheckpointUpdate } from '../checkpoints/types.ts';
import {
  MSKGUARD_METRICS as M,
  METRIC_DIMENSIONS,
  METRICS_NAMESPACE,
  METRICS_SERVICE,
} from '../observability/metric-names.ts';
import type { PreparedBatch } from './engine.ts';
import type { MskGuardOptions } from './options.ts';

/** Structured logs (Powertools Logger, JSON) and EMF metrics (Powertools Metrics) of the guard. */
export interface GuardTelemetry {
  readonly logger: Logger;
  readonly metrics: Metrics;
  prepared(batch: PreparedBatch): void;
  settled(
    batch: PreparedBatch,
    result: { completed: number; released: number; updates: CheckpointUpdate[]; ms: number },
  ): void;
  cacheError(error: unknown): void;
  invalidResponse(reason: string): void;
  /** Writes the invocation's metrics (EMF) to stdout. */
  flush(): void;
}

/** Counts of each fate in a prepared batch. */
export function countFates(batch: PreparedBatch) {
  const counts = {
    process: 0,
    watermark: 0,
    batch: 0,
    exact: 0,
    probable: 0,
    inProgress: 0,
    quarantined: 0,
    deferred: 0,
    rejected: 0,
  };
  const fates = batch.fates;
  for (let i = 0; i < fates.length; i++) {
    const fate = fates[i]!;
    if (fate.kind === 'process') {
      counts.process++;
      if (fate.probable) counts.probable++;
    } else if (fate.kind === 'withheld') {
      counts[fate.tier === 'bloom-local' ? 'quarantined' : fate.tier]++;
    } else if (fate.kind === 'quarantine') {
      counts.quarantined++;
      counts.probable++;
    } else if (fate.kind === 'retry') {
      counts[fate.reason === 'in-progress' ? 'inProgress' : 'rejected']++;
    } else counts.deferred++;
  }
  return counts;
}

/** Builds the telemetry of one guard: the user's Logger and Metrics, or mskguard's defaults. */
export function createTelemetry(options: MskGuardOptions, group: string): GuardTelemetry {
  const logger = options.logger ?? new Logger({ serviceName: METRICS_SERVICE });
  const metrics =
    options.metrics ?? new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE });
  metrics.setDefaultDimensions({ [METRIC_DIMENSIONS.CONSUMER_GROUP]: group });
  // Counted once per batch, when it is prepared; `settled` logs the same counts.
  const counted = new WeakMap<PreparedBatch, ReturnType<typeof countFates>>();
  const count = (name: string, value: number) => {
    if (value > 0) metrics.addMetric(name, MetricUnit.Count, value);
  };
  const withheld = (tier: string, value: number) => {
    if (value === 0) return;
    const single = metrics.singleMetric();
    single.addDimension(METRIC_DIMENSIONS.TIER, tier);
    single.addMetric(M.DUPLICATE_WITHHELD, MetricUnit.Count, value);
  };

  return {
    logger,
    metrics,
    prepared(batch) {
      const c = countFates(batch);
      counted.set(batch, c);
      metrics.addMetric(M.RECORDS_IN, MetricUnit.Count, batch.batch.records.length);
      withheld('watermark', c.watermark);
      withheld('batch', c.batch);
      withheld('exact', c.exact);
      count(M.PROBABLE_DUPLICATE, c.probable);
      count(M.IN_PROGRESS_CONFLICT, c.inProgress);
      count(M.QUARANTINED, c.quarantined);
      if (batch.degraded) metrics.addMetric(M.DEGRADED_INVOCATION, MetricUnit.Count, 1);
      if (batch.checkpointAgeSeconds !== undefined) {
        metrics.addMetric(
          M.CHECKPOINT_AGE_SECONDS,
          MetricUnit.Seconds,
          Math.round(batch.checkpointAgeSeconds),
        );
      }
      if (c.rejected > 0)
        logger.error('records without an idempotency key were rejected', { rejected: c.rejected });
      if (batch.degraded)
        logger.warn('cache unreachable: deduplicating with the local filter only', { group });
    },
    settled(batch, result) {
      const c = counted.get(batch) ?? countFates(batch);
      metrics.addMetric(M.DEDUP_LATENCY, MetricUnit.Milliseconds, batch.dedupMs + result.ms);
      count(M.CHECKPOINT_WRITTEN, result.updates.length);
      logger.info('batch settled', {
        group,
        records: batch.batch.records.length,
        processed: c.process,
        withheld: { watermark: c.watermark, batch: c.batch, exact: c.exact },
        probable: c.probable,
        inProgress: c.inProgress,
        quarantined: c.quarantined,
        deferred: c.deferred,
        completed: result.completed,
        released: result.released,
        checkpoints: result.updates.map((u) => `${u.topic}-${u.partition}:${u.nextOffset}`),
        degraded: batch.degraded,
        dedupMs: Math.round((batch.dedupMs + result.ms) * 10) / 10,
      });
    },
    cacheError(error) {
      metrics.addMetric(M.CACHE_ERROR, MetricUnit.Count, 1);
      logger.error('dedup cache error', { group, error: error as Error });
    },
    invalidResponse(reason) {
      logger.error('the handler returned an invalid batch response: the whole batch counts as failed', {
        reason,
      });
    },
    flush() {
      metrics.publishStoredMetrics();
    },
  };
}
