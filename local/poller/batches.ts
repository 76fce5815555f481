import type { IHeaders, KafkaMessage } from 'kafkajs';
import { encodeKafkaRecord, type KafkaRecordInput } from '#shared/msk/index.ts';

/** One record the poller read, as {@link encodeKafkaEvent} takes it, with its size in the event. */
export interface PolledRecord extends KafkaRecordInput {
  readonly offset: number;
  /** Bytes this record adds to the event's JSON (its encoded form plus a separator). */
  readonly encodedBytes: number;
}

/**
 * Bytes of an event's JSON besides its records: the envelope (`eventSource`, ARN, bootstrap
 * servers, the `"topic-partition"` key). Generous, so a batch never crosses the limit by it.
 */
export const ENVELOPE_BYTES = 1024;

function headersOf(headers: IHeaders | undefined): { name: string; value: Buffer | string | null }[] {
  const out: { name: string; value: Buffer | string | null }[] = [];
  for (const [name, value] of Object.entries(headers ?? {})) {
    // kafkajs groups repeated header names into an array, in record order.
    for (const one of Array.isArray(value) ? value : [value]) out.push({ name, value: one ?? null });
  }
  return out;
}

/**
 * A kafkajs message as the record Lambda would put in the event. kafkajs does not expose the
 * timestamp type of a record, so it is `CREATE_TIME` (the broker default).
 *
 * @example
 * ```ts
 * const records = batch.messages.map((m) => toPolledRecord(batch.topic, batch.partition, m));
 * ```
 */
export function toPolledRecord(topic: string, partition: number, message: KafkaMessage): PolledRecord {
  const input: KafkaRecordInput = {
    topic,
    partition,
    offset: Number(message.offset),
    timestamp: Number(message.timestamp),
    timestampType: 'CREATE_TIME',
    key: message.key,
    value: message.value,
    headers: headersOf(message.headers),
  };
  const encodedBytes = Buffer.byteLength(JSON.stringify(encodeKafkaRecord(input))) + 1;
  return { ...input, encodedBytes };
}

/** Limits of one invocation. */
export interface BatchLimits {
  readonly batchSize: number;
  readonly maxPayloadBytes: number;
}

/**
 * Splits a partition's records, in offset order, into invocations as Lambda does: a batch closes
 * at `batchSize` records or before the record that would take its event past `maxPayloadBytes`.
 * A single record larger than the limit still gets a batch of its own (Lambda would fail that
 * invocation; here the handler sees it, so the problem shows up where it can be debugged).
 *
 * @example
 * ```ts
 * splitIntoBatches(records, { batchSize: 100, maxPayloadBytes: 6 * 1024 * 1024 });
 * ```
 */
export function splitIntoBatches(records: readonly PolledRecord[], limits: BatchLimits): PolledRecord[][] {
  const batches: PolledRecord[][] = [];
  let current: PolledRecord[] = [];
  let bytes = ENVELOPE_BYTES;
  for (const record of records) {
    const full = current.length >= limits.batchSize || bytes + record.encodedBytes > limits.maxPayloadBytes;
    if (full && current.length > 0) {
      batches.push(current);
      current = [];
      bytes = ENVELOPE_BYTES;
    }
    current.push(record);
    bytes += record.encodedBytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
