import type { MiddlewareObj, Request } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { KafkaEvent } from '../msk/index.ts';
import { type AdmittedBatch, GuardEngine } from './engine.ts';
import { refuseErrorResponses } from './error-responses.ts';
import type { MskGuardOptions } from './options.ts';

const INTERNAL_KEY = 'mskguard';
// Set while mskGuard settles a batch: an error then is the guard's own (complete, checkpoint), not the handler's.
const SETTLING_KEY = 'mskguard.settling';

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
    // Middy 6 shares `request.internal` between invocations when its plugin option `internal` is
    // set: a batch of an earlier invocation must never be given back by this one's onError.
    delete request.internal[INTERNAL_KEY];
    delete request.internal[SETTLING_KEY];
    refuseErrorResponses(request, () => {
      engine.telemetry.logger.error(
        "a middleware answered an error of this Kafka handler with a response: discarded, the invocation fails so that Lambda delivers the batch again. Don't answer errors of a Kafka handler.",
        { error: request.error as Error },
      );
      // An answer that ends the onError chain skips mskGuard's own: stop the batch here too.
      (request.internal[INTERNAL_KEY] as AdmittedBatch | undefined)?.handler.abort();
    });
    const admitted = await engine.admit(request.event, request.context);
    request.internal[INTERNAL_KEY] = admitted;
    if (admitted.handler.records.length === 0) {
      // Nothing for the handler: settle now and return early (Middy skips the handler and `after`).
      request.internal[SETTLING_KEY] = true;
      const response = (await engine.settle(admitted, undefined)) ?? { batchItemFailures: [] };
      request.internal[SETTLING_KEY] = false;
      engine.telemetry.flush();
      return response;
    }
    // The handler's event: same shape, only the records to process, already parsed (handler-batch.ts).
    request.event = admitted.handler.event;
    return undefined;
  };

  const mskGuardAfter = async (request: GuardRequest): Promise<void> => {
    const admitted = request.internal[INTERNAL_KEY] as AdmittedBatch;
    request.internal[SETTLING_KEY] = true;
    try {
      request.response = await engine.settle(admitted, request.response);
      request.internal[SETTLING_KEY] = false;
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
    // The handler may run on (Middy's early timeout; a rejection while processRecordsInOrder runs),
    // and Lambda's retry may run in this very process: processRecordsInOrder starts no more records
    // (G1). What it had done is processed again, as after a crash: the keys were never completed.
    admitted.handler.abort();
    const error = request.error as Error;
    engine.telemetry.logger.error(failureMessage(error, request.internal[SETTLING_KEY] === true), { error });
    try {
      await engine.abandon(admitted);
    } finally {
      engine.telemetry.flush();
    }
  };

  return { before: mskGuardBefore, after: mskGuardAfter, onError: mskGuardOnError };
}

/** What the guard logs when it gives the batch back. */
function failureMessage(error: Error, settling: boolean): string {
  if (isEarlyTimeout(error))
    return "the handler ran out of time (Middy's early timeout): processRecordsInOrder starts no more records; releasing the batch for a retry";
  if (settling)
    return 'mskGuard could not settle the batch (complete the keys or write the checkpoints): the handler succeeded; releasing the batch so that Lambda retries it';
  return 'handler failed: releasing the batch for a retry';
}

/** Middy's own timeout (`timeoutEarlyInMillis`, on by default), thrown while the handler still runs. */
function isEarlyTimeout(error: unknown): boolean {
  return (
    error instanceof Error &&
    error.name === 'TimeoutError' &&
    (error.cause as { package?: unknown } | undefined)?.package === '@middy/core'
  );
}
