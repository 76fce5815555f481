import type { Context } from 'aws-lambda';
import type { KafkaEvent } from '#shared/msk/index.ts';

/** A Kafka-triggered Lambda handler as the poller invokes it (a Middy handler fits). */
export type PollerHandler = (event: KafkaEvent, context: Context) => unknown;

/** Where a consumer group without committed offsets starts, as the ESM's `StartingPosition`. */
export const StartingPosition = {
  /** The oldest record still in the log. */
  trimHorizon: 'TRIM_HORIZON',
  /** Only records produced after the poller joined. */
  latest: 'LATEST',
} as const;
/** `'TRIM_HORIZON' | 'LATEST'`. */
export type StartingPosition = (typeof StartingPosition)[keyof typeof StartingPosition];

/**
 * What the poller does after an invocation succeeded (fault injection; see
 * {@link PollerOptions.afterSuccess}):
 * - `'commit'`: commit the batch's last offset + 1, as Lambda does.
 * - `'crash'`: the poller dies before committing: nothing more is committed and it stops, so the
 *   group redelivers from the last committed offset to whoever polls next.
 * - `{ redeliverFrom }`: the commit of the records from `redeliverFrom` on is lost (as in a
 *   rebalance between the invocation and the commit): commit up to it and read again from it.
 */
export type AfterSuccess = 'commit' | 'crash' | { readonly redeliverFrom: number };

/** Options of {@link LambdaKafkaPoller}. */
export interface PollerOptions {
  /** `host:port` of the brokers. */
  readonly brokers: readonly string[];
  readonly topic: string;
  /** The event source mapping's consumerGroupId. */
  readonly groupId: string;
  readonly handler: PollerHandler;
  /** Records per invocation, 1–10,000 (Lambda's `BatchSize`). @default 100 */
  readonly batchSize?: number;
  /**
   * How long a fetch may wait for records before the batch is invoked (Lambda's
   * `MaximumBatchingWindowInSeconds`, in ms; 0–300,000). @default 500 (Lambda's default for Kafka)
   */
  readonly batchingWindowMs?: number;
  /** Largest event (JSON bytes) one invocation receives. @default 6_291_456 (Lambda's 6 MB payload limit) */
  readonly maxPayloadBytes?: number;
  /** The function's timeout: the context counts down from it and a slower invocation fails. @default 60_000 */
  readonly timeoutMs?: number;
  /**
   * Retries of a failed batch before it goes to the on-failure hook (Lambda's `MaximumRetryAttempts`:
   * 0–10,000, or -1 for infinite, which becomes 10 when `onFailure` is set, as Lambda does with an
   * on-failure destination). The first invocation is not a retry. @default 3
   */
  readonly maximumRetryAttempts?: number;
  /**
   * Delay before the first retry of a partition, doubling per attempt up to 5 s. Lambda documents no
   * delay between retries of a Kafka batch, so the default redelivers at once (the partition waits
   * for nothing but the invocations); a value above 0 is for runs that want slower retries.
   * @default 0
   */
  readonly retryBackoffMs?: number;
  /** Called with each batch whose retries are exhausted; the poller then skips past it. @default keep it in {@link LambdaKafkaPoller.failedBatches} */
  readonly onFailure?: (failure: FailedBatch) => void | Promise<void>;
  /** Fault injection after each successful invocation. @default () => 'commit' */
  readonly afterSuccess?: (invocation: InvokedEvent) => AfterSuccess;
  /** @default 'TRIM_HORIZON' */
  readonly startingPosition?: StartingPosition;
  /** Partitions invoked at the same time (Lambda: at most one invocation per partition). @default 10 */
  readonly maxConcurrency?: number;
  /** `eventSourceArn` of the events. @default an MSK cluster ARN naming 'mskguard-local' */
  readonly eventSourceArn?: string;
  /** `functionName` of the context. @default 'mskguard-local-consumer' */
  readonly functionName?: string;
  /** kafkajs consumer session timeout: an invocation longer than this loses the partition. @default 30_000 */
  readonly sessionTimeoutMs?: number;
}

/** Why an invocation did not fully succeed. */
export const FailureReason = {
  /** The handler threw or rejected. */
  error: 'error',
  /** The handler did not settle within `timeoutMs`. */
  timeout: 'timeout',
  /** The handler returned `batchItemFailures` naming a record of this partition. */
  partial: 'partial',
  /** The handler returned a malformed partial-batch response: the whole batch failed. */
  invalidResponse: 'invalid-response',
} as const;
/** One of {@link FailureReason}. */
export type FailureReason = (typeof FailureReason)[keyof typeof FailureReason];

/** One invocation of the handler. */
export interface InvokedEvent {
  readonly requestId: string;
  readonly topic: string;
  readonly partition: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly records: number;
  /** Size of the event as JSON. */
  readonly payloadBytes: number;
  readonly durationMs: number;
  /** 1 for a first delivery, n for the (n-1)-th retry of the same failing offset. */
  readonly attempt: number;
  /** `'success'`, or why the poller will redeliver or give up. */
  readonly outcome: 'success' | FailureReason;
  /** First offset Lambda delivers again (`outcome` ≠ success). */
  readonly retryFrom: number | undefined;
  readonly error: Error | undefined;
}

/** Offsets committed to the group for one partition. */
export interface CommittedEvent {
  readonly topic: string;
  readonly partition: number;
  /** The committed offset: the next record the group reads. */
  readonly offset: number;
}

/** A partition about to be delivered again from `fromOffset` after a failure. */
export interface RetriedEvent {
  readonly topic: string;
  readonly partition: number;
  readonly fromOffset: number;
  /** Failed attempts at this offset so far (1 = the first delivery failed). */
  readonly attempt: number;
  readonly reason: FailureReason;
  readonly delayMs: number;
}

/**
 * A batch given up after its retries: what the poller hands the on-failure hook. Lambda sends a
 * metadata document to an SQS/SNS destination (and the records themselves to S3 or Kafka
 * destinations); this carries both, since a local run wants to see what was skipped.
 */
export interface FailedBatch {
  readonly condition: 'RetryAttemptsExhausted';
  readonly topic: string;
  readonly partition: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly records: number;
  /** Invocations of this batch, the first one included. */
  readonly attempts: number;
  readonly reason: FailureReason;
  readonly error: string | undefined;
  /** The event of the last attempt, holding exactly the records skipped. */
  readonly event: KafkaEvent;
  readonly timestamp: string;
}

/** Why {@link LambdaKafkaPoller.stopped} resolved. */
export type StopReason = 'stopped' | 'crashed';

/** The events of a {@link LambdaKafkaPoller}. */
export interface PollerEvents {
  invoked: [InvokedEvent];
  committed: [CommittedEvent];
  retried: [RetriedEvent];
  failed: [FailedBatch];
  /** The kafkajs consumer crashed or a commit failed: the poller keeps going when it can. */
  problem: [Error];
}
