import type { ParsedBatch } from './parse.ts';
import type { ParsedRecord } from './record.ts';

/**
 * Identifies the first record of a partition that Lambda must deliver again.
 * `partition` is `"<topic>-<partition>"` (the event's record key), `offset` a JSON number.
 *
 * Shape per the Kafka ESM partial-batch response (`FunctionResponseTypes: ["ReportBatchItemFailures"]`):
 * https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html — cross-checked with
 * Powertools for AWS Lambda (Python), whose Kafka batch processor emits
 * `{"itemIdentifier": {"partition": f"{topic}-{partition}", "offset": offset}}`.
 */
export interface KafkaItemIdentifier {
  partition: string;
  offset: number;
}

/** One entry of {@link KafkaBatchResponse.batchItemFailures}. */
export interface KafkaBatchItemFailure {
  itemIdentifier: KafkaItemIdentifier;
}

/**
 * The Kafka partial-batch response a handler returns. For each listed partition Lambda commits
 * the offsets below `offset` and delivers that partition again from `offset`; partitions not
 * listed count as fully processed. (As for streams, several entries for one partition resolve to
 * the lowest offset.) An empty list means the whole batch succeeded.
 *
 * @example
 * ```json
 * { "batchItemFailures": [{ "itemIdentifier": { "partition": "orders-0", "offset": 42 } }] }
 * ```
 */
export interface KafkaBatchResponse {
  batchItemFailures: KafkaBatchItemFailure[];
}

/**
 * Builds the partial-batch response from the records that did not succeed: one entry per
 * partition, holding the lowest offset among that partition's records. Partitions with no such
 * record are absent. Entries follow the order in which partitions first appear in `notSucceeded`.
 *
 * @example
 * ```ts
 * return toBatchItemFailures([...failed.map((f) => f.record), ...skipped]);
 * ```
 */
export function toBatchItemFailures(
  notSucceeded: Iterable<Pick<ParsedRecord, 'partitionKey' | 'offset'>>,
): KafkaBatchResponse {
  const lowest = new Map<string, number>();
  for (const { partitionKey, offset } of notSucceeded) {
    const current = lowest.get(partitionKey);
    if (current === undefined || offset < current) lowest.set(partitionKey, offset);
  }
  return {
    batchItemFailures: [...lowest].map(([partition, offset]) => ({ itemIdentifier: { partition, offset } })),
  };
}

/** How a handler's return value splits a batch; see {@link interpretBatchResponse}. */
export interface BatchResponseOutcome {
  /**
   * `success`: nothing to retry. `partial`: some partitions retried from an offset.
   * `invalid`: the response lists failures but is malformed; the whole batch counts as failed.
   */
  readonly status: 'success' | 'partial' | 'invalid';
  /**
   * Per partition key, the offset from which Lambda redelivers: a record at or past it is retried,
   * every other record succeeded.
   */
  readonly retryFrom: ReadonlyMap<string, number>;
  /** Why an `invalid` response was rejected. */
  readonly reason?: string;
}

/**
 * Reads what a handler returned the way Lambda does, to know which records it will deliver again.
 *
 * No response, or one without (or with an empty / null) `batchItemFailures`, means success — as for
 * Lambda, a handler that returns normally succeeded. A `batchItemFailures` that is not an array,
 * or an entry that is not `{ itemIdentifier: { partition: string, offset: number } }` naming a
 * partition and an offset present in `batch`, makes the response `invalid`: every record is then
 * treated as retried, so nothing is completed on the strength of a response Lambda may reject.
 *
 * @example
 * ```ts
 * const { status, retryFrom } = interpretBatchResponse(batch, await handler(filtered, context));
 * const retried = (r: ParsedRecord) => r.offset >= (retryFrom.get(r.partitionKey) ?? Infinity);
 * ```
 */
export function interpretBatchResponse(
  batch: ParsedBatch | readonly ParsedRecord[],
  response: unknown,
): BatchResponseOutcome {
  const records = 'records' in batch ? batch.records : batch;
  const failures =
    typeof response === 'object' && response !== null
      ? (response as Record<string, unknown>).batchItemFailures
      : undefined;
  if (failures === undefined || failures === null || (Array.isArray(failures) && failures.length === 0)) {
    return { status: 'success', retryFrom: new Map() };
  }
  const read = readRetryFrom(records, failures);
  if (typeof read === 'string') return { status: 'invalid', retryFrom: new Map(), reason: read };
  return { status: 'partial', retryFrom: read };
}

function readRetryFrom(records: readonly ParsedRecord[], failures: unknown): Map<string, number> | string {
  if (!Array.isArray(failures)) return 'batchItemFailures is not an array';
  const offsets = new Map<string, Set<number>>();
  for (const r of records) {
    const set = offsets.get(r.partitionKey) ?? new Set<number>();
    set.add(r.offset);
    offsets.set(r.partitionKey, set);
  }
  const retryFrom = new Map<string, number>();
  for (const [i, entry] of failures.entries()) {
    const id: unknown =
      typeof entry === 'object' && entry !== null
        ? (entry as Record<string, unknown>).itemIdentifier
        : undefined;
    if (typeof id !== 'object' || id === null)
      return `batchItemFailures[${i}].itemIdentifier is not an object`;
    const { partition, offset } = id as Record<string, unknown>;
    if (typeof partition !== 'string' || typeof offset !== 'number') {
      return `batchItemFailures[${i}].itemIdentifier must be { partition: string, offset: number }`;
    }
    if (offsets.get(partition)?.has(offset) !== true) {
      return `batchItemFailures[${i}] names ${partition}@${offset}, which is not a record of this batch`;
    }
    const current = retryFrom.get(partition);
    if (current === undefined || offset < current) retryFrom.set(partition, offset);
  }
  return retryFrom;
}
