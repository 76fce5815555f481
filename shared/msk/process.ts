import { ConfigurationError } from '../errors.ts';
import { guardedBatchOf } from './guarded.ts';
import { describe as describeValue } from './headers.ts';
import { isParsedBatch, type ParsedBatch, type PartitionBatch, parseMskEvent } from './parse.ts';
import type { ParsedRecord } from './record.ts';
import { type KafkaBatchResponse, toBatchItemFailures } from './response.ts';

/** Options of {@link processRecordsInOrder}. */
export interface ProcessRecordsOptions {
  /**
   * How many partitions are processed at the same time. Records of one partition always run one
   * after another, in offset order; separate partitions are independent in Kafka, so running them
   * concurrently is safe for ordering, but it interleaves handler calls (shared connections,
   * logs), hence opt-in.
   * @default 1 (partition after partition)
   */
  readonly concurrency?: number;
  /**
   * Stops starting new records once aborted (e.g. shortly before the Lambda deadline). Records
   * not started are `skipped` and reported for redelivery; a record already running is awaited.
   */
  readonly signal?: AbortSignal;
}

/** A record whose handler threw (or rejected), with what it threw. */
export interface FailedRecord {
  readonly record: ParsedRecord;
  readonly error: unknown;
}

/** What {@link processRecordsInOrder} did with each record of the batch. */
export interface ProcessRecordsResult {
  /** Records whose handler resolved, partition by partition in offset order. */
  readonly succeeded: ParsedRecord[];
  /** At most one per partition: the record that stopped it. */
  readonly failed: FailedRecord[];
  /** Records never handed to the handler: after a failure in their partition, or after abort. */
  readonly skipped: ParsedRecord[];
  /**
   * The partial-batch response to return from the handler: per partition that did not finish,
   * the lowest offset that did not succeed (the failed record, or the first skipped one).
   */
  readonly response: KafkaBatchResponse;
}

/** Handles one record; a throw or a rejection marks it failed. */
export type RecordHandler = (record: ParsedRecord) => Promise<void> | void;

/**
 * Runs `handler` on every record in offset order per partition, stopping a partition at its
 * first failure — Lambda redelivers a Kafka partition from the lowest offset reported, so
 * processing past a failure would only do work that will be redelivered. Never throws because a
 * record failed: failures are collected and turned into the partial-batch response.
 *
 * Accepts a parsed batch or a raw event (parsed here; a malformed event throws
 * `InvalidEventError`).
 *
 * @example
 * ```ts
 * export const handler = async (event: MSKEvent) => {
 *   const { response } = await processRecordsInOrder(event, async (record) => {
 *     await saveOrder(JSON.parse(record.value!.toString('utf8')));
 *   });
 *   return response;
 * };
 * ```
 */
export async function processRecordsInOrder(
  input: ParsedBatch | object,
  handler: RecordHandler,
  options: ProcessRecordsOptions = {},
): Promise<ProcessRecordsResult> {
  // The guard's event carries the records it already parsed: no second parse, and the outcome is
  // reported to the guard directly instead of being read back from the response.
  const guarded = guardedBatchOf(input);
  const batch = guarded ? guarded.batch : isParsedBatch(input) ? input : parseMskEvent(input);
  // Checked once, up front: a handler that is not a function would otherwise fail every
  // partition's first record with a TypeError, and Lambda would redeliver the batch forever.
  if (typeof handler !== 'function') {
    throw new ConfigurationError(
      `processRecordsInOrder: the record handler must be a function, got ${describeValue(handler)}`,
    );
  }
  const concurrency = options.concurrency ?? 1;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
    throw new ConfigurationError(
      `processRecordsInOrder: concurrency must be a positive integer, got ${String(concurrency)}`,
    );
  }
  // The guard aborts when the invocation failed while this may run on (Middy's early timeout): it
  // gives the leases back, and Lambda's retry, not this, runs the records not started.
  const signal =
    guarded && options.signal
      ? AbortSignal.any([options.signal, guarded.signal])
      : (options.signal ?? guarded?.signal);
  const outcomes: PartitionOutcome[] = new Array(batch.partitions.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < batch.partitions.length) {
      const index = next++;
      outcomes[index] = await runPartition(batch.partitions[index]!, handler, signal);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, batch.partitions.length) }, worker));

  const succeeded: ParsedRecord[] = [];
  const failed: FailedRecord[] = [];
  const skipped: ParsedRecord[] = [];
  const retryFrom = new Map<string, number>();
  for (let p = 0; p < outcomes.length; p++) {
    const outcome = outcomes[p]!;
    for (const record of outcome.succeeded) succeeded.push(record);
    if (outcome.failed !== undefined) failed.push(outcome.failed);
    for (const record of outcome.skipped) skipped.push(record);
    // A partition stops at its first record that did not succeed: Lambda redelivers from there.
    const stop = outcome.failed?.record ?? outcome.skipped[0];
    if (stop) retryFrom.set(batch.partitions[p]!.partitionKey, stop.offset);
  }
  const response = toBatchItemFailures([...failed.map((f) => f.record), ...skipped]);
  guarded?.report({ response, retryFrom });
  return { succeeded, failed, skipped, response };
}

interface PartitionOutcome {
  succeeded: ParsedRecord[];
  failed: FailedRecord | undefined;
  skipped: ParsedRecord[];
}

async function runPartition(
  partition: PartitionBatch,
  handler: RecordHandler,
  signal: AbortSignal | undefined,
): Promise<PartitionOutcome> {
  const { records } = partition;
  const succeeded: ParsedRecord[] = [];
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    if (signal?.aborted === true) return { succeeded, failed: undefined, skipped: records.slice(i) };
    try {
      await handler(record);
    } catch (error) {
      return { succeeded, failed: { record, error }, skipped: records.slice(i + 1) };
    }
    succeeded.push(record);
  }
  return { succeeded, failed: undefined, skipped: [] };
}
