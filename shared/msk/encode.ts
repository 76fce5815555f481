import { type KafkaEvent, KafkaEventSource, type RawKafkaHeader, type RawKafkaRecord } from './types.ts';

/** A Kafka record as a consumer sees it, before Lambda's JSON encoding. */
export interface KafkaRecordInput {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** @default 0 */
  readonly timestamp?: number;
  /** @default 'CREATE_TIME' */
  readonly timestampType?: string;
  /** Bytes, a UTF-8 string, or null / absent for no key. */
  readonly key?: Uint8Array | string | null;
  /** Bytes, a UTF-8 string, or null / absent for a tombstone. */
  readonly value?: Uint8Array | string | null;
  /** In order; a name may repeat. */
  readonly headers?: ReadonlyArray<{ readonly name: string; readonly value: Uint8Array | string | null }>;
}

/** Options of {@link encodeKafkaEvent}. */
export interface EncodeKafkaEventOptions {
  /** @default 'aws:kafka' */
  readonly eventSource?: KafkaEventSource;
  /** @default a sample MSK cluster ARN for `aws:kafka`, none for `SelfManagedKafka` */
  readonly eventSourceArn?: string;
  /** @default 'localhost:9092' */
  readonly bootstrapServers?: string;
  /**
   * Write header bytes as Java's signed bytes (-128..127), as Lambda's poller does; `false`
   * writes 0..255.
   * @default true
   */
  readonly signedHeaderBytes?: boolean;
}

const SAMPLE_ARN =
  'arn:aws:kafka:us-east-1:123456789012:cluster/mskguard-local/00000000-0000-0000-0000-000000000000-1';

/**
 * Encodes records into the JSON event Lambda hands a Kafka-triggered function: records grouped
 * under `"<topic>-<partition>"` in the order given, key and value base64, headers as byte arrays.
 * A null key or value is left out of the record. Used by tests and by the local poller emulator.
 *
 * @example
 * ```ts
 * const event = encodeKafkaEvent([{ topic: 'orders', partition: 0, offset: 7, value: '{"id":1}' }]);
 * ```
 */
export function encodeKafkaEvent(
  records: Iterable<KafkaRecordInput>,
  options: EncodeKafkaEventOptions = {},
): KafkaEvent {
  const eventSource = options.eventSource ?? KafkaEventSource.msk;
  const grouped: Record<string, RawKafkaRecord[]> = {};
  for (const record of records) {
    const partitionKey = `${record.topic}-${record.partition}`;
    const group = grouped[partitionKey] ?? [];
    group.push(encodeKafkaRecord(record, options.signedHeaderBytes ?? true));
    grouped[partitionKey] = group;
  }
  const arn = options.eventSourceArn ?? (eventSource === KafkaEventSource.msk ? SAMPLE_ARN : undefined);
  return {
    eventSource,
    ...(arn === undefined ? {} : { eventSourceArn: arn }),
    bootstrapServers: options.bootstrapServers ?? 'localhost:9092',
    records: grouped,
  };
}

/**
 * Encodes one record the way Lambda does; see {@link encodeKafkaEvent}.
 *
 * @example
 * ```ts
 * encodeKafkaRecord({ topic: 'orders', partition: 0, offset: 7, headers: [{ name: 'h', value: 'é' }] });
 * // { topic: 'orders', partition: 0, offset: 7, timestamp: 0, timestampType: 'CREATE_TIME', headers: [{ h: [-61, -87] }] }
 * ```
 */
export function encodeKafkaRecord(record: KafkaRecordInput, signedHeaderBytes = true): RawKafkaRecord {
  const raw: RawKafkaRecord = {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    timestamp: record.timestamp ?? 0,
    timestampType: record.timestampType ?? 'CREATE_TIME',
  };
  if (record.key !== undefined && record.key !== null) raw.key = toBytes(record.key).toString('base64');
  if (record.value !== undefined && record.value !== null)
    raw.value = toBytes(record.value).toString('base64');
  raw.headers = (record.headers ?? []).map(({ name, value }): RawKafkaHeader => {
    if (value === null) return { [name]: null };
    const bytes = [...toBytes(value)];
    return { [name]: signedHeaderBytes ? bytes.map((b) => (b > 127 ? b - 256 : b)) : bytes };
  });
  return raw;
}

function toBytes(data: Uint8Array | string): Buffer {
  return typeof data === 'string'
    ? Buffer.from(data, 'utf8')
    : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
