import type { MiddlewareObj, Request } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { KafkaEvent } from '../msk/index.ts';
import { type AdmittedBatch, GuardEngine } from './engine.ts';
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
    const admitted = await engine.admit(request.event, request.context);
    request.internal[INTERNAL_KEY] = admitted;
    if (admitted.handler.records.length === 0) {
      // Nothing for the handler: settle now and return early (Middy skips the handler and `after`).
      request.internal[SETTLING_KEY] = true;
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
    request.internal[SETTLING_KEY] = true;
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
    const logger = engine.telemetry.logger;
    const error = request.error as Error;
    if (request.response !== undefined) {
      // A middleware registered after this one turned the error into a response (an HTTP error
      // handler, say): its onError ran first. Lambda reads a response without failures as the whole
      // batch done, so the records would be skipped unprocessed: the invocation fails instead (G2).
      logger.error(
        "a middleware registered after mskGuard turned the error into a response: discarded, the invocation fails so that Lambda retries the batch. Don't answer errors of a Kafka handler with a response.",
        { error },
      );
    } else if (isEarlyTimeout(error)) {
      await settleTimedOut(engine, admitted, request);
      return;
    } else if (request.internal[SETTLING_KEY] === true) {
      logger.error(
        'mskGuard could not settle the batch (complete the keys or write the checkpoints): the handler succeeded; releasing the batch so that Lambda retries it',
        { error },
      );
    } else {
      logger.error('handler failed: releasing the batch for a retry', { error });
    }
    // Middlewares registered before this one run their onError after it: whatever response they
    // set is discarded too, so the invocation fails whatever the order of the chain.
    keepFailed(request, () =>
      logger.error(
        "a middleware registered before mskGuard answered the error with a response: discarded, the invocation fails so that Lambda retries the batch. Don't answer errors of a Kafka handler with a response.",
        { error },
      ),
    );
    await engine.abandon(admitted);
    engine.telemetry.flush();
  };

  return { before: mskGuardBefore, after: mskGuardAfter, onError: mskGuardOnError };
}

/**
 * Makes the invocation fail after mskGuard gave its batch back. Middy runs the onError of
 * middlewares registered before mskGuard after it; a response one of them sets (an HTTP error
 * handler, say) would reach Lambda as "every record done", and the batch's unprocessed records
 * would be skipped (G2). Their onError still runs (logs, metrics, traces); the response they set
 * reads as undefined, so Middy rethrows the error (Middy 6 and 7: `request.response` undefined
 * after the onError chain). Rethrowing here instead would skip their onError.
 */
function keepFailed(request: GuardRequest, onDiscard: () => void): void {
  Object.defineProperty(request, 'response', {
    configurable: true,
    enumerable: true,
    get: () => undefined,
    set: (value: unknown) => {
      if (value !== undefined) onDiscard();
    },
  });
}

/** Middy's own timeout (`timeoutEarlyInMillis`, on by default), thrown while the handler still runs. */
function isEarlyTimeout(error: unknown): boolean {
  return (
    error instanceof Error &&
    error.name === 'TimeoutError' &&
    (error.cause as { package?: unknown } | undefined)?.package === '@middy/core'
  );
}

/**
 * Middy answered before the Lambda deadline, but the handler runs on, and Lambda's retry may run
 * in this very process (decision 0023): `processRecordsInOrder` starts no more records, what it had
 * done is completed and checkpointed as after a partial failure, and the rest goes back, so the
 * retry runs only that. The record running at the timeout is processed again, as after a crash.
 * With staged effects (stageEffects) the batch is given back whole: they cannot be told apart by
 * record.
 */
async function settleTimedOut(
  engine: GuardEngine,
  admitted: AdmittedBatch,
  request: GuardRequest,
): Promise<void> {
  const logger = engine.telemetry.logger;
  const error = request.error as Error;
  admitted.handler.abort();
  const done = admitted.effects.length === 0 ? admitted.handler.doneSoFar() : undefined;
  logger.error(
    "the handler ran out of time (Middy's early timeout): processRecordsInOrder starts no more records; " +
      (done
        ? 'completing what it had done and releasing the rest for a retry'
        : 'releasing the batch for a retry'),
    { error },
  );
  keepFailed(request, () =>
    logger.error('a middleware answered the timeout with a response: discarded', { error }),
  );
  try {
    if (done === undefined) await engine.abandon(admitted);
    else await engine.settle(admitted, done);
  } catch (settleError) {
    logger.error('could not settle the batch after the timeout: releasing it', {
      error: settleError as Error,
    });
    await engine.abandon(admitted);
  } finally {
    engine.telemetry.flush();
  }
}
