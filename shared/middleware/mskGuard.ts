import type { MiddlewareObj, Request } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { KafkaEvent } from '../msk/index.ts';
import { type AdmittedBatch, GuardEngine } from './engine.ts';
import type { MskGuardOptions } from './options.ts';

const INTERNAL_KEY = 'mskguard';

type GuardRequest = Request<KafkaEvent, unknown, Error, Context, Record<string, unknown>>;

/**
 * Middy middleware for Lambda functions triggered by an Amazon MSK or self-managed Kafka event
 * source mapping. Before the handler it withholds proven duplicates (offset watermark, exact Redis
 * tier, duplicates within the batch) and leases every key it hands on; the handler receives an
 * event of the same shape holding only the records to process. After the handler it completes the
 * keys of what succeeded, releases the rest, checkpoints each partition, and returns the Kafka
 * partial-batch response. When the handler throws it releases every lease.
 *
 * Options are validated once, here: every mistake is a ConfigurationError at cold start.
 *
 * @example
 * ```ts
 * import middy from '@middy/core';
 * import { mskGuard, UpstashScriptRunner, processRecordsInOrder } from 'mskguard';
 *
 * export const handler = middy()
 *   .use(mskGuard({ consumerGroup: 'orders-consumer', cache: new UpstashScriptRunner({ url, token }), checkpoints }))
 *   .handler(async (event) => (await processRecordsInOrder(event, handleOrder)).response);
 * ```
 */
export function mskGuard(options: MskGuardOptions): MiddlewareObj<KafkaEvent, unknown, Error, Context> {
  const engine = new GuardEngine(options);

  const mskGuardBefore = async (request: GuardRequest): Promise<unknown> => {
    const admitted = await engine.admit(request.event, request.context);
    request.internal[INTERNAL_KEY] = admitted;
    if (admitted.handler.records.length === 0) {
      // Nothing for the handler: settle now and return early (Middy skips the handler and `after`).
      const response = (await engine.settle(admitted, undefined)) ?? { batchItemFailures: [] };
      engine.telemetry.flush();
      return response;
    }
    // The handler's event: same shape, only the records to process, already parsed (handler-batch.ts).
    request.event = admitted.handler.event;
    return undefined;
  };

  const mskGuardAfter = async (request: GuardRequest): Promise<void> => {
    const admitted = request.internal[INTERNAL_KEY] as AdmittedBatch;
    try {
      request.response = await engine.settle(admitted, request.response);
    } finally {
      engine.telemetry.flush();
    }
  };

  const mskGuardOnError = async (request: GuardRequest): Promise<void> => {
    const admitted = request.internal[INTERNAL_KEY] as AdmittedBatch | undefined;
    // Admit failed or never ran: it holds no lease (admit gives back what it claimed).
    if (admitted === undefined) {
      engine.telemetry.flush();
      return;
    }
    if (request.response !== undefined) {
      // A middleware after this one turned the error into a response (an HTTP error handler, say).
      // Lambda reads a response without failures as the whole batch done, so the records would be
      // skipped unprocessed: the invocation fails instead and Lambda retries the batch (G2).
      engine.telemetry.logger.error(
        "a middleware after mskGuard turned the handler's error into a response: failing the invocation " +
          'instead, so that Lambda retries the batch. Put error-to-response middlewares before mskGuard.',
        { error: request.error as Error },
      );
      request.response = undefined;
    } else {
      engine.telemetry.logger.error('handler failed: releasing the batch for a retry', {
        error: request.error as Error,
      });
    }
    await engine.abandon(admitted);
    engine.telemetry.flush();
  };

  return { before: mskGuardBefore, after: mskGuardAfter, onError: mskGuardOnError };
}
