import type { PartitionBatch } from './parse.ts';
import type { ParsedRecord } from './record.ts';
import type { RawKafkaRecord } from './types.ts';

/** Anything shaped like a Lambda Kafka event (`MSKEvent`, `SelfManagedKafkaEvent`, {@link KafkaEvent}). */
export interface KafkaEventLike {
  records: { [partitionKey: string]: readonly object[] };
}

/**
 * A copy of `original` that holds only the records in `keep`: what the handler receives after
 * duplicates are withheld. Every other field of the event is preserved, and each kept record is
 * the original record object (same reference), so fields this library does not know survive.
 *
 * `keep` is treated as a set (a record listed twice appears once); its order does not matter: the
 * result lists partitions in the original event's order and records in ascending offset order.
 * Partitions with nothing kept are left out (Lambda never sends an empty partition array). The
 * records should come from `parseMskEvent(original)`.
 *
 * @example
 * ```ts
 * const batch = parseMskEvent(event);
 * const fresh = batch.records.filter((r) => !seen.has(r.coordinate));
 * const result = await handler(buildMskEvent(event, fresh), context);
 * ```
 */
export function buildMskEvent<E extends KafkaEventLike>(original: E, keep: Iterable<ParsedRecord>): E {
  const byPartition = new Map<string, Map<number, ParsedRecord>>();
  for (const record of keep) {
    let offsets = byPartition.get(record.partitionKey);
    if (offsets === undefined) {
      offsets = new Map();
      byPartition.set(record.partitionKey, offsets);
    }
    offsets.set(record.offset, record);
  }
  const partitions: PartitionBatch[] = [];
  const add = (partitionKey: string): void => {
    const offsets = byPartition.get(partitionKey);
    if (offsets === undefined) return;
    byPartition.delete(partitionKey);
    const sorted = [...offsets.values()].sort((a, b) => a.offset - b.offset);
    const first = sorted[0] as ParsedRecord;
    partitions.push({ partitionKey, topic: first.topic, partition: first.partition, records: sorted });
  };
  for (const partitionKey of Object.keys(original.records)) add(partitionKey);
  for (const partitionKey of [...byPartition.keys()]) add(partitionKey);
  return buildMskEventFromPartitions(original, partitions);
}

/**
 * {@link buildMskEvent} for records already grouped: `partitions` in the order the event should
 * list them, each non-empty and in ascending offset order (the caller guarantees it; nothing is
 * sorted or checked). The middleware's hot path: one pass, no maps.
 */
export function buildMskEventFromPartitions<E extends KafkaEventLike>(
  original: E,
  partitions: readonly PartitionBatch[],
): E {
  const records: Record<string, RawKafkaRecord[]> = {};
  for (const part of partitions) {
    const raws = new Array<RawKafkaRecord>(part.records.length);
    for (let i = 0; i < raws.length; i++) raws[i] = (part.records[i] as ParsedRecord).raw;
    records[part.partitionKey] = raws;
  }
  return { ...original, records };
}
