/**
 * The Lambda Kafka poller emulator: runs a Kafka-triggered handler in-process against a real
 * broker, with Lambda's batching, event format, retries and commit-after-success.
 *
 * @example
 * ```ts
 * import { LambdaKafkaPoller } from '#local/poller/index.ts';
 * const poller = new LambdaKafkaPoller({ brokers, topic: 'orders', groupId: 'orders-consumer', handler });
 * await poller.start();
 * ```
 */
export { ENVELOPE_BYTES, type PolledRecord, splitIntoBatches, toPolledRecord } from './batches.ts';
export { createLambdaContext, type LambdaContextOptions } from './context.ts';
export { InvalidBatchResponseError, InvocationTimeoutError } from './errors.ts';
export { type InvocationResult, type InvokeOptions, invokeBatch } from './invoke.ts';
export { LambdaKafkaPoller } from './poller.ts';
export {
  LAMBDA_PAYLOAD_LIMIT_BYTES,
  type PollerSettings,
  resolvePollerSettings,
  retryDelayMs,
} from './settings.ts';
export {
  type AfterSuccess,
  type CommittedEvent,
  type FailedBatch,
  FailureReason,
  type InvokedEvent,
  type PollerEvents,
  type PollerHandler,
  type PollerOptions,
  type RetriedEvent,
  StartingPosition,
  type StopReason,
} from './types.ts';
