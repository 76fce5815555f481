import type { RecordFate } from '../dedup/plan.ts';
import { attachGuardedBatch, type GuardedBatch, type HandlerReport } from '../msk/guarded.ts';
import {
  buildMskEventFromPartitions,
  interpretBatchResponse,
  type KafkaEvent,
  type ParsedBatch,
  type ParsedRecord,
  type PartitionBatch,
} from '../msk/index.ts';
import { subBatch } from '../msk/parse.ts';

/** What the handler is given, and how its outcome comes back. */
export interface HandlerBatch {
  /** The records it must process, in batch order. */
  readonly records: readonly ParsedRecord[];
  /** The event it receives: the original's shape with only `records` (design §5, drop-in). */
  readonly event: KafkaEvent;
  /**
   * Per partition, the offset Lambda delivers again from: from `processRecordsInOrder`'s report
   * when the handler returned the response it built, unchanged, or returned nothing at all after
   * it reported failures (see {@link HandlerBatch.unreturnedFailures}); else read from `response`
   * as Lambda reads it. A `string` says why the response is invalid (the whole batch then counts
   * as failed).
   */
  retryFrom(response: unknown): ReadonlyMap<string, number> | string;
  /**
   * The failures `processRecordsInOrder` reported when the handler returned no response: the
   * handler dropped them (it forgot to return `.response`). Lambda would read nothing as "every
   * record done" and skip the failed records and those never run, so they are retried (G2).
   */
  unreturnedFailures(response: unknown): ReadonlyMap<string, number> | undefined;
  /** Tells `processRecordsInOrder` to start no more records: the invocation failed while it may run on. */
  abort(): void;
}

/**
 * Hands the records whose fate is `process` to the handler: an event of the same shape for a
 * handler that reads `event.records` itself, carrying the batch already parsed for one that calls
 * `processRecordsInOrder` (msk/guarded.ts), which then reports each partition's outcome here.
 */
export function handOver(batch: ParsedBatch, fates: readonly RecordFate[]): HandlerBatch {
  const partitions = processedPartitions(batch, fates);
  const event = buildMskEventFromPartitions(batch.event, partitions);
  const handed = subBatch(batch, partitions, event);
  let reported: HandlerReport | undefined;
  // The report's failures as they were built: a handler may add to the response it was given
  // (failures of its own bulk write, say), and then the response, not the report, is the answer.
  let reportedFailures: string | undefined;
  const aborted = new AbortController();
  // On the event, and on the batch parseMskEvent returns for it: either way processRecordsInOrder finds it.
  const guarded: GuardedBatch = {
    batch: handed,
    signal: aborted.signal,
    report: (outcome) => {
      reported = outcome;
      reportedFailures = failuresOf(outcome.response);
    },
  };
  attachGuardedBatch(event, guarded);
  attachGuardedBatch(handed, guarded);
  const unreturnedFailures = (response: unknown) =>
    reported !== undefined && reported.retryFrom.size > 0 && (response === undefined || response === null)
      ? reported.retryFrom
      : undefined;
  return {
    records: handed.records,
    event,
    unreturnedFailures,
    abort: () => aborted.abort(),
    retryFrom(response) {
      if (
        reported !== undefined &&
        response === reported.response &&
        failuresOf(response) === reportedFailures
      )
        return reported.retryFrom;
      const unreturned = unreturnedFailures(response);
      if (unreturned !== undefined) return unreturned;
      const outcome = interpretBatchResponse(handed.records, response);
      return outcome.status === 'invalid' ? (outcome.reason ?? 'invalid') : outcome.retryFrom;
    },
  };
}

/** The partitions of `batch` with only their records to process (offsets ascending, none empty). */
function processedPartitions(batch: ParsedBatch, fates: readonly RecordFate[]): PartitionBatch[] {
  const partitions: PartitionBatch[] = [];
  let i = 0;
  for (const part of batch.partitions) {
    const records = part.records;
    // Sized before it is filled (no growth copies for 10,000 records): count, then fill.
    let count = 0;
    for (let r = 0; r < records.length; r++) if (fates[i + r]!.kind === 'process') count++;
    if (count > 0) {
      const kept = new Array<ParsedRecord>(count);
      let k = 0;
      for (let r = 0; r < records.length; r++) if (fates[i + r]!.kind === 'process') kept[k++] = records[r]!;
      partitions.push({
        partitionKey: part.partitionKey,
        topic: part.topic,
        partition: part.partition,
        records: kept,
      });
    }
    i += records.length;
  }
  return partitions;
}

/** A response's failures as text, to tell whether they changed (at most one per partition: short). */
function failuresOf(response: unknown): string | undefined {
  if (typeof response !== 'object' || response === null) return undefined;
  return JSON.stringify((response as { batchItemFailures?: unknown }).batchItemFailures);
}
