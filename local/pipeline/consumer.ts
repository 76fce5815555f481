import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { ORDER_KEY_SOURCES, readOrder } from '#functions/orders.ts';
import { MskGuardError } from '#shared/errors.ts';
import { mskGuard } from '#shared/middleware/mskGuard.ts';
import type { MskGuardOptions, QuarantineSink } from '#shared/middleware/options.ts';
import {
  type KafkaEvent,
  type ParsedRecord,
  parseMskEvent,
  processRecordsInOrder,
} from '#shared/msk/index.ts';
import { type EmfLineSink, type GuardTotals, MetricsRecorder } from './metrics.ts';

/** A fault the local run injects into the handler; never thrown by mskguard itself. */
export class SimulatedFaultError extends MskGuardError {}

/** The local stand-in for the reference consumer, and what it observed. */
export interface LocalConsumer {
  /** The guarded handler (Middy + mskGuard), to hand to the poller. */
  readonly handler: (event: KafkaEvent, context: Context) => Promise<unknown>;
  /** Business key → how many times the handler's effect ran for it. */
  readonly effects: Map<string, number>;
  /** The guard's metrics, summed. */
  readonly totals: GuardTotals;
  /** The next invocation throws before it touches a record (a dependency is down): Lambda retries the batch. */
  failNextInvocation(): void;
  /** In the next invocation of at least two records, the middle record throws once (a per-record failure). */
  failRecordMidBatch(): void;
  /** Faults armed and not yet fired. */
  pendingFaults(): number;
  /**
   * Routes the next batches through a second guard in `probabilistic` mode (its own in-container
   * filter, quarantine instead of processing a probable duplicate), or back to the exact one.
   */
  useProbabilistic(on: boolean): void;
}

/**
 * The reference order consumer's logic behind the real middleware, counting its effect per
 * business key: the same key sources and validation as `handleOrder` in functions/order-consumer.ts
 * (whose module builds its guard from the environment at import, so one process could host only one
 * group), plus the faults the local run injects.
 *
 * @example
 * ```ts
 * const consumer = createLocalConsumer({ consumerGroup: 'orders', cache, checkpoints });
 * const poller = new LambdaKafkaPoller({ ..., handler: consumer.handler });
 * ```
 */
export function createLocalConsumer(
  guard: Omit<MskGuardOptions, 'keySources' | 'metrics'>,
  emf?: EmfLineSink,
  quarantine?: QuarantineSink,
): LocalConsumer {
  const effects = new Map<string, number>();
  const metrics = new MetricsRecorder(undefined, emf);
  // The guard logs JSON per batch; a local run shows its own progress instead unless asked.
  const logger = process.env.POWERTOOLS_LOG_LEVEL
    ? new Logger({ serviceName: 'mskguard' })
    : new Logger({ serviceName: 'mskguard', logLevel: 'SILENT' });
  let throwNext = false;
  let failRecord = false;

  const guarded = (options: MskGuardOptions) =>
    middy<KafkaEvent, unknown, Error, Context>().use(mskGuard(options)).handler(businessLogic);
  const businessLogic = async (event: KafkaEvent) => {
    if (throwNext) {
      throwNext = false;
      throw new SimulatedFaultError('simulated fault: the order database is unreachable');
    }
    const batch = parseMskEvent(event);
    let failing: ParsedRecord | undefined;
    if (failRecord && batch.records.length >= 2) {
      failRecord = false;
      failing = batch.records[Math.floor(batch.records.length / 2)];
    }
    const result = await processRecordsInOrder(batch, (record) => {
      if (record === failing)
        throw new SimulatedFaultError(`simulated fault: ${record.coordinate} timed out`);
      const orderId = readOrder(record).orderId;
      effects.set(orderId, (effects.get(orderId) ?? 0) + 1);
    });
    return result.response;
  };
  const base = { logger, ...guard, keySources: ORDER_KEY_SOURCES, metrics };
  const exact = guarded(base);
  // No distributed Bloom: its false positives would quarantine fresh orders; the in-container filter
  // alone knows exactly the keys completed here.
  const probabilistic = quarantine
    ? guarded({
        ...base,
        mode: 'probabilistic',
        quarantine,
        distributedBloom: false,
        // A recorder of its own (same totals and sink): each guard sets its consumerGroup default
        // dimension, and a second set on one Metrics makes Powertools warn on stderr.
        metrics: new MetricsRecorder(metrics.totals, emf),
      })
    : undefined;
  let useProbabilistic = false;
  const handler = (event: KafkaEvent, context: Context) =>
    (useProbabilistic && probabilistic ? probabilistic : exact)(event, context);

  return {
    handler,
    useProbabilistic: (on: boolean) => {
      useProbabilistic = on && probabilistic !== undefined;
    },
    effects,
    totals: metrics.totals,
    failNextInvocation: () => {
      throwNext = true;
    },
    failRecordMidBatch: () => {
      failRecord = true;
    },
    pendingFaults: () => Number(throwNext) + Number(failRecord),
  };
}
