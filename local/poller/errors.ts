import { MskGuardError } from '#shared/errors.ts';

/** The handler did not settle within the function's timeout; the poller retries the batch. */
export class InvocationTimeoutError extends MskGuardError {
  public constructor(timeoutMs: number, requestId: string) {
    super(
      `Invocation ${requestId} did not finish within the function timeout of ${timeoutMs} ms: the batch is retried. ` +
        'Raise timeoutMs, lower batchSize, or make the handler stop early on context.getRemainingTimeInMillis().',
      { retriable: true },
    );
  }
}

/** The handler returned a partial-batch response Lambda would reject; the whole batch is retried. */
export class InvalidBatchResponseError extends MskGuardError {
  public constructor(reason: string) {
    super(
      `The handler returned an invalid partial-batch response (${reason}): the whole batch counts as failed. ` +
        'Return { batchItemFailures: [{ itemIdentifier: { partition: "topic-N", offset } }] } naming records of the batch.',
    );
  }
}
