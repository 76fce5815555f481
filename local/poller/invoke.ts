import { interpretBatchResponse, type KafkaEvent, parseMskEvent } from '#shared/msk/index.ts';
import { createLambdaContext } from './context.ts';
import { InvalidBatchResponseError, InvocationTimeoutError } from './errors.ts';
import { FailureReason, type PollerHandler } from './types.ts';

/** How one invocation ended, for one partition's batch. */
export interface InvocationResult {
  readonly requestId: string;
  readonly outcome: 'success' | FailureReason;
  /** First offset to deliver again; `undefined` on success. */
  readonly retryFrom: number | undefined;
  readonly error: Error | undefined;
  readonly durationMs: number;
}

/** What {@link invokeBatch} needs besides the event. */
export interface InvokeOptions {
  readonly handler: PollerHandler;
  readonly timeoutMs: number;
  readonly functionName: string;
  /** `"topic-partition"` of the batch (the poller invokes one partition per event). */
  readonly partitionKey: string;
  readonly firstOffset: number;
}

type Settled = { kind: 'returned'; value: unknown } | { kind: 'threw'; error: unknown } | { kind: 'timeout' };

/**
 * Invokes the handler once with a fresh Lambda context and reads the result the way Lambda does:
 * a throw, a rejection or a missed deadline fails the whole batch; a partial-batch response naming
 * this partition redelivers it from the lowest offset named; a malformed one fails the batch.
 *
 * A handler that misses its deadline keeps running in the background (Lambda would stop its
 * sandbox): its late effects are what a real timeout risks too, and the middleware's leases are
 * what keeps a retry from processing the same keys meanwhile.
 *
 * @example
 * ```ts
 * const result = await invokeBatch(event, { handler, timeoutMs: 60_000, functionName: 'f', partitionKey: 'orders-0', firstOffset: 0 });
 * ```
 */
export async function invokeBatch(event: KafkaEvent, options: InvokeOptions): Promise<InvocationResult> {
  const context = createLambdaContext({ timeoutMs: options.timeoutMs, functionName: options.functionName });
  const requestId = context.awsRequestId;
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<Settled>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'timeout' }), options.timeoutMs);
  });
  const run = (async () => options.handler(event, context))().then(
    (value): Settled => ({ kind: 'returned', value }),
    (error: unknown): Settled => ({ kind: 'threw', error }),
  );
  const settled = await Promise.race([run, deadline]);
  clearTimeout(timer);
  const durationMs = performance.now() - started;
  const failed = (outcome: FailureReason, error: Error): InvocationResult => ({
    requestId,
    outcome,
    retryFrom: options.firstOffset,
    error,
    durationMs,
  });
  if (settled.kind === 'timeout')
    return failed(FailureReason.timeout, new InvocationTimeoutError(options.timeoutMs, requestId));
  if (settled.kind === 'threw') return failed(FailureReason.error, asError(settled.error));

  const outcome = interpretBatchResponse(parseMskEvent(event), settled.value);
  if (outcome.status === 'invalid') {
    return failed(FailureReason.invalidResponse, new InvalidBatchResponseError(outcome.reason ?? 'invalid'));
  }
  const retryFrom = outcome.retryFrom.get(options.partitionKey);
  if (retryFrom === undefined)
    return { requestId, outcome: 'success', retryFrom, error: undefined, durationMs };
  return { requestId, outcome: FailureReason.partial, retryFrom, error: undefined, durationMs };
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(`the handler threw a non-Error: ${String(value)}`);
}
