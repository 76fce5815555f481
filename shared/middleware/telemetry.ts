import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { CheckpointUpdate } from '../checkpoints/types.ts';
import type { CacheEvent } from '../dedup/cache.ts';
import {
  MSKGUARD_METRICS as M,
  METRIC_DIMENSIONS,
  METRICS_NAMESPACE,
  METRICS_SERVICE,
} from '../observability/metric-names.ts';
import type { MskGuardOptions } from './options.ts';
import type { BatchReport } from './report.ts';

/** Structured logs (Powertools Logger, JSON) and EMF metrics (Powertools Metrics) of the guard. */
export interface GuardTelemetry {
  readonly logger: Logger;
  readonly metrics: Metrics;
  prepared(report: BatchReport): void;
  settled(
    report: BatchReport,
    result: { completed: number; released: number; updates: CheckpointUpdate[]; ms: number },
  ): void;
  cacheError(error: unknown): void;
  /** A lease wait or a late settlement of the cache tiers (dedup/cache.ts). */
  cacheEvent(event: CacheEvent): void;
  invalidResponse(reason: string): void;
  /** The handler returned no response after `processRecordsInOrder` reported failures (handler-batch.ts). */
  unreturnedFailures(retryFrom: ReadonlyMap<string, number>): void;
  /** What the quarantine sink answered (a `QuarantineStore` names the records it stored truncated). */
  quarantined(stored: unknown): void;
  /** Writes the invocation's metrics (EMF) to stdout. */
  flush(): void;
}

/** Builds the telemetry of one guard: the user's Logger and Metrics, or mskguard's defaults. */
export function createTelemetry(options: MskGuardOptions, group: string): GuardTelemetry {
  const logger = options.logger ?? new Logger({ serviceName: METRICS_SERVICE });
  const metrics =
    options.metrics ?? new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE });
  metrics.setDefaultDimensions({ [METRIC_DIMENSIONS.CONSUMER_GROUP]: group });
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
    prepared(report) {
      const c = report.counts;
      metrics.addMetric(M.RECORDS_IN, MetricUnit.Count, report.records);
      withheld('watermark', c.watermark);
      withheld('batch', c.batch);
      withheld('exact', c.exact);
      count(M.PROBABLE_DUPLICATE, c.probable);
      count(M.IN_PROGRESS_CONFLICT, c.inProgress);
      count(M.QUARANTINED, c.quarantined);
      if (report.degraded) metrics.addMetric(M.DEGRADED_INVOCATION, MetricUnit.Count, 1);
      if (report.checkpointAgeSeconds !== undefined) {
        metrics.addMetric(
          M.CHECKPOINT_AGE_SECONDS,
          MetricUnit.Seconds,
          Math.round(report.checkpointAgeSeconds),
        );
      }
      const skipped = report.gaps.reduce((sum, gap) => sum + gap.last - gap.first + 1, 0);
      count(M.SKIPPED_OFFSETS, skipped);
      if (skipped > 0) {
        logger.warn(
          'partitions moved past offsets no handler processed (a batch given up after its retries, or ' +
            'transaction markers/compaction): kept on the checkpoint, so a recover restore processes them',
          { group, skipped: report.gaps.map((g) => `${g.partitionKey}:${g.first}-${g.last}`) },
        );
      }
      if (c.rejected > 0)
        logger.error(
          "records without an idempotency key were rejected (onMissingKey: 'reject', or a key function that failed): their partitions are retried from them",
          { rejected: c.rejected, records: report.rejections },
        );
      if (report.degraded)
        logger.warn('cache unreachable: deduplicating with the local filter only', { group });
    },
    settled(report, result) {
      const c = report.counts;
      metrics.addMetric(M.DEDUP_LATENCY, MetricUnit.Milliseconds, report.dedupMs + result.ms);
      count(M.CHECKPOINT_WRITTEN, result.updates.length);
      logger.info('batch settled', {
        group,
        records: report.records,
        processed: c.process,
        withheld: { watermark: c.watermark, batch: c.batch, exact: c.exact },
        probable: c.probable,
        inProgress: c.inProgress,
        quarantined: c.quarantined,
        deferred: c.deferred,
        completed: result.completed,
        released: result.released,
        checkpoints: result.updates.map((u) => `${u.topic}-${u.partition}:${u.nextOffset}`),
        degraded: report.degraded,
        leaseWaitMs: report.leaseWaitMs,
        dedupMs: Math.round((report.dedupMs + result.ms) * 10) / 10,
      });
    },
    cacheError(error) {
      metrics.addMetric(M.CACHE_ERROR, MetricUnit.Count, 1);
      logger.error('dedup cache error', { group, error: error as Error });
    },
    cacheEvent(event) {
      if (event.type === 'lease-wait') {
        metrics.addMetric(M.LEASE_WAIT, MetricUnit.Milliseconds, event.ms);
        logger.info("waited for another invocation's lease instead of failing the partition", {
          group,
          waitedMs: event.ms,
          keys: event.keys,
        });
      } else {
        metrics.addMetric(M.LATE_SETTLEMENT, MetricUnit.Count, event.owners);
        logger.warn('gave back leases a cache blip had left held (late complete or release)', {
          group,
          owners: event.owners,
        });
      }
    },
    invalidResponse(reason) {
      logger.error('the handler returned an invalid batch response: the whole batch counts as failed', {
        reason,
      });
    },
    unreturnedFailures(retryFrom) {
      logger.error(
        'the handler returned no response, but processRecordsInOrder reported failures: retrying each partition from its first failure. Return the response processRecordsInOrder gives (`(await processRecordsInOrder(event, fn)).response`)',
        { retryFrom: Object.fromEntries(retryFrom) },
      );
    },
    quarantined(stored) {
      const { truncated, alreadyReplayed } = (stored ?? {}) as {
        truncated?: unknown;
        alreadyReplayed?: unknown;
      };
      // Expected after a rewind or a retried batch: the operator's replayed copy is on the topic.
      if (Array.isArray(alreadyReplayed) && alreadyReplayed.length > 0) {
        logger.info('records quarantined again were already replayed: kept REPLAYED and withheld', {
          group,
          alreadyReplayed,
        });
      }
      if (!Array.isArray(truncated) || truncated.length === 0) return;
      logger.warn(
        'quarantined records over the 400 KB item limit were stored truncated: `mskguard quarantine replay` ' +
          'cannot re-produce them; the whole records stay in Kafka at the offsets in their ids until the ' +
          "topic's retention",
        { group, truncated },
      );
    },
    flush() {
      metrics.publishStoredMetrics();
    },
  };
}
