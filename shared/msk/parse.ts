import { InvalidEventError } from '../errors.ts';
import { guardedBatchOf } from './guarded.ts';
import { checkHeaders, describe, isPlainObject } from './headers.ts';
import { checkBase64, type Expected, parseRecord } from './parse-record.ts';
import type { ParsedRecord } from './record.ts';
import { type KafkaEvent, KafkaEventSource } from './types.ts';

/** The records of one topic-partition, in ascending offset order. */
export interface PartitionBatch {
  /** `"<topic>-<partition>"`, the key this partition has in `event.records`. */
  readonly partitionKey: string;
  readonly topic: string;
  readonly partition: number;
  /** Never empty; strictly ascending offsets. */
  readonly records: readonly ParsedRecord[];
}

/** A validated Lambda Kafka event: every record parsed, grouped by partition in offset order. */
export interface ParsedBatch {
  readonly eventSource: KafkaEventSource;
  /** The MSK cluster ARN (`aws:kafka` only). */
  readonly eventSourceArn: string | undefined;
  readonly bootstrapServers: string | undefined;
  /** Partitions in the order of `event.records`; empty arrays in the event are left out. */
  readonly partitions: readonly PartitionBatch[];
  /** All records, partition by partition, each partition in ascending offset order. */
  readonly records: readonly ParsedRecord[];
  /** The event as received (same reference, never modified). */
  readonly event: KafkaEvent;
}

// A brand, not a memo: it tells a batch this module built from a look-alike object.
const parsedBatches = new WeakSet<ParsedBatch>();

/**
 * A batch holding only `partitions` of `batch` (records in batch order), standing for `event`:
 * what the guard hands the handler, built from records already parsed and checked.
 */
export function subBatch(
  batch: ParsedBatch,
  partitions: readonly PartitionBatch[],
  event: KafkaEvent,
): ParsedBatch {
  let total = 0;
  for (const part of partitions) total += part.records.length;
  const records = new Array<ParsedRecord>(total);
  let at = 0;
  for (const part of partitions) for (const record of part.records) records[at++] = record;
  const sub: ParsedBatch = { ...batch, partitions, records, event };
  parsedBatches.add(sub);
  return sub;
}

/** Whether `value` is a batch returned by {@link parseMskEvent} (not a look-alike object). */
export function isParsedBatch(value: unknown): value is ParsedBatch {
  return typeof value === 'object' && value !== null && parsedBatches.has(value as ParsedBatch);
}

/**
 * Validates a Lambda Kafka event (Amazon MSK `aws:kafka` or `SelfManagedKafka`) and parses every
 * record. Partitions keep the event's order; records inside a partition are sorted by offset when
 * the event is out of order.
 *
 * Rejected (an {@link InvalidEventError} naming the record and the reason): a non-object event,
 * an unknown `eventSource`, `aws:kafka` without `eventSourceArn`, missing `records`, a record
 * whose topic/partition does not match its `"topic-partition"` key, a partition or offset that is
 * not a non-negative safe integer, bad base64 in key or value, header bytes outside -128..255, and
 * two records with the same offset in one partition — Kafka never delivers that, so the event is
 * corrupt, and a partial-batch response (keyed by offset) could not tell the two apart.
 *
 * @throws InvalidEventError
 * @example
 * ```ts
 * const batch = parseMskEvent(event);
 * for (const { partitionKey, records } of batch.partitions) console.log(partitionKey, records.length);
 * ```
 */
export function parseMskEvent(event: unknown): ParsedBatch {
  // The event mskGuard hands its handler carries its batch, parsed and checked: that batch, which
  // keeps the guard's hand-over (msk/guarded.ts) for processRecordsInOrder.
  return guardedBatchOf(event)?.batch ?? parseEvent(event, false);
}

/** A batch whose records' payload checks are still to run: {@link parseMskEventDeferred}. */
export interface DeferredParse {
  readonly batch: ParsedBatch;
  /**
   * Runs the checks the parse left out (base64 of key and value, header bytes), record by record
   * in batch order; until it returns, the batch must not reach a handler.
   *
   * @throws InvalidEventError as {@link parseMskEvent} would have
   */
  readonly verify: () => void;
}

/**
 * {@link parseMskEvent} in two steps, for the middleware: first the event's shape (sources,
 * partitions, offsets, timestamps) and the records, then, from `verify`, the per-byte checks of
 * key, value and headers, which the middleware runs while its claim is in flight. Headers are
 * read lazily meanwhile, and the key deriver reads key headers without checking their bytes: a key
 * from a bad byte is never used, because an event that fails `verify` is rejected as a whole,
 * exactly as by `parseMskEvent`.
 *
 * @throws InvalidEventError for a malformed shape
 */
export function parseMskEventDeferred(event: unknown): DeferredParse {
  const batch = parseEvent(event, true);
  return { batch, verify: () => verifyPayloads(batch) };
}

function verifyPayloads(batch: ParsedBatch): void {
  for (const { partitionKey, records } of batch.partitions) {
    const expected: Expected = { partitionKey, topic: undefined, partition: undefined };
    for (let r = 0; r < records.length; r++) {
      const { raw, offset } = records[r]!;
      checkHeaders(raw.headers, partitionKey, offset);
      checkBase64(raw.key, 'key', expected, offset);
      checkBase64(raw.value, 'value', expected, offset);
    }
  }
}

function parseEvent(event: unknown, deferred: boolean): ParsedBatch {
  if (!isPlainObject(event)) {
    throw new InvalidEventError(`Kafka event must be an object, got ${describe(event)}`);
  }
  const source = event.eventSource;
  if (source !== KafkaEventSource.msk && source !== KafkaEventSource.selfManaged) {
    throw new InvalidEventError(
      `Not a Lambda Kafka event: eventSource is ${describe(source)}, expected 'aws:kafka' (Amazon MSK) ` +
        `or 'SelfManagedKafka'. Is this function wired to a Kafka event source mapping?`,
    );
  }
  const arn = event.eventSourceArn;
  if (source === KafkaEventSource.msk && (typeof arn !== 'string' || arn === '')) {
    throw new InvalidEventError(`An 'aws:kafka' event must carry eventSourceArn (the MSK cluster ARN)`);
  }
  if (arn !== undefined && typeof arn !== 'string') {
    throw new InvalidEventError(`eventSourceArn must be a string, got ${describe(arn)}`);
  }
  const servers = event.bootstrapServers;
  if (servers !== undefined && servers !== null && typeof servers !== 'string') {
    throw new InvalidEventError(`bootstrapServers must be a string, got ${describe(servers)}`);
  }
  if (!isPlainObject(event.records)) {
    throw new InvalidEventError(`Kafka event has no records object (got ${describe(event.records)})`);
  }
  const partitions: PartitionBatch[] = [];
  let total = 0;
  for (const [partitionKey, group] of Object.entries(event.records)) {
    const partition = parsePartition(partitionKey, group, deferred);
    if (partition === undefined) continue;
    partitions.push(partition);
    total += partition.records.length;
  }
  // Indexed and sized once: a 10,000-record batch, on every invocation.
  const records = new Array<ParsedRecord>(total);
  let at = 0;
  for (let p = 0; p < partitions.length; p++) {
    const part = partitions[p]!.records;
    for (let r = 0; r < part.length; r++) records[at++] = part[r]!;
  }
  const batch: ParsedBatch = {
    eventSource: source,
    eventSourceArn: arn,
    bootstrapServers: servers ?? undefined,
    partitions,
    records,
    event: event as unknown as KafkaEvent,
  };
  parsedBatches.add(batch);
  return batch;
}

function parsePartition(partitionKey: string, group: unknown, deferred: boolean): PartitionBatch | undefined {
  if (!Array.isArray(group)) {
    throw new InvalidEventError(`records["${partitionKey}"] must be an array, got ${describe(group)}`);
  }
  if (group.length === 0) return undefined;
  const expected: Expected = { partitionKey, topic: undefined, partition: undefined };
  const records = new Array<ParsedRecord>(group.length);
  let increasing = true;
  for (let i = 0; i < group.length; i++) {
    const record = parseRecord(group[i], expected, i, deferred);
    if (i > 0 && record.offset <= records[i - 1]!.offset) increasing = false;
    records[i] = record;
  }
  // Strictly increasing (the norm) means sorted and free of duplicates: nothing more to check.
  if (!increasing) sortAndCheckUnique(records, partitionKey);
  const first = records[0]!;
  return { partitionKey, topic: first.topic, partition: first.partition, records };
}

function sortAndCheckUnique(records: ParsedRecord[], partitionKey: string): void {
  records.sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < records.length; i++) {
    if (records[i]!.offset === records[i - 1]!.offset) {
      throw new InvalidEventError(
        `Offset ${records[i]!.offset} appears twice in partition ${partitionKey}; Kafka offsets are unique ` +
          `per partition, so the event is corrupt`,
        { record: records[i]!.coordinate },
      );
    }
  }
}
