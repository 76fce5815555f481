import { type EncodeKafkaEventOptions, encodeKafkaEvent, type KafkaEvent } from '#shared/msk/index.ts';
import type { PolledRecord } from './batches.ts';
import type { InvocationResult } from './invoke.ts';
import type { FailedBatch, InvokedEvent } from './types.ts';

/** The `invoked` event of one invocation of `chunk` (one partition's records, in offset order). */
export function invokedEvent(
  chunk: readonly PolledRecord[],
  event: KafkaEvent,
  attempt: number,
  result: InvocationResult,
): InvokedEvent {
  const first = chunk[0]!;
  return {
    requestId: result.requestId,
    topic: first.topic,
    partition: first.partition,
    firstOffset: first.offset,
    lastOffset: chunk[chunk.length - 1]!.offset,
    records: chunk.length,
    payloadBytes: Buffer.byteLength(JSON.stringify(event)),
    durationMs: result.durationMs,
    attempt,
    outcome: result.outcome,
    retryFrom: result.retryFrom,
    error: result.error,
  };
}

/** What the on-failure hook receives for the records a batch gave up on. */
export function failedBatch(
  skipped: readonly PolledRecord[],
  attempts: number,
  result: InvocationResult,
  eventOptions: EncodeKafkaEventOptions,
): FailedBatch {
  const first = skipped[0]!;
  const last = skipped[skipped.length - 1]!;
  return {
    condition: 'RetryAttemptsExhausted',
    topic: first.topic,
    partition: first.partition,
    firstOffset: first.offset,
    lastOffset: last.offset,
    records: skipped.length,
    attempts,
    reason: result.outcome === 'success' ? 'error' : result.outcome,
    error: result.error?.message,
    event: encodeKafkaEvent(skipped, eventOptions),
    timestamp: new Date().toISOString(),
  };
}
