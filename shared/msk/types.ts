/**
 * Wire types of the Lambda Kafka event, as Lambda sends it for Amazon MSK (`aws:kafka`) and for
 * self-managed Apache Kafka (`SelfManagedKafka`). They are looser than `@types/aws-lambda`'s
 * `MSKEvent` on purpose: real events carry `partition` as a string from some pollers, omit `key`
 * for null keys, carry `null` values for tombstones and signed bytes in headers.
 *
 * - https://docs.aws.amazon.com/lambda/latest/dg/with-msk.html (example event)
 * - https://docs.aws.amazon.com/lambda/latest/dg/with-kafka.html (self-managed example event)
 */

/** The two `eventSource` values of a Lambda Kafka event. */
export const KafkaEventSource = {
  /** Amazon MSK: the event also carries `eventSourceArn` (the cluster ARN). */
  msk: 'aws:kafka',
  /** Self-managed Apache Kafka: no ARN, only `bootstrapServers`. */
  selfManaged: 'SelfManagedKafka',
} as const;

/** `'aws:kafka' | 'SelfManagedKafka'`. */
export type KafkaEventSource = (typeof KafkaEventSource)[keyof typeof KafkaEventSource];

/**
 * One header entry of a raw record: `{ [name]: bytes }`. Bytes are JSON numbers; Lambda's
 * Java poller sends them signed (-128..127), other producers unsigned (0..255). A header name may
 * repeat across entries, and a value may be `null` (Kafka allows null header values).
 */
export type RawKafkaHeader = Record<string, number[] | null>;

/**
 * One record as it appears in `event.records["topic-partition"]`.
 *
 * @example
 * ```json
 * { "topic": "orders", "partition": 0, "offset": 15, "timestamp": 1545084650987,
 *   "timestampType": "CREATE_TIME", "key": "b3JkZXItMQ==", "value": "eyJpZCI6MX0=",
 *   "headers": [{ "idempotency-key": [111, 45, 49] }] }
 * ```
 */
export interface RawKafkaRecord {
  topic: string;
  /** A number, or a decimal string in some pollers' events. */
  partition: number | string;
  offset: number;
  timestamp: number;
  timestampType: string;
  /** Base64 of the key bytes; absent or `null` when the record has no key. */
  key?: string | null;
  /** Base64 of the value bytes; absent or `null` for a tombstone. */
  value?: string | null;
  headers?: RawKafkaHeader[];
}

/**
 * A Lambda Kafka event (MSK or self-managed). Fields this type does not name (schema-registry
 * metadata, future additions) are preserved untouched by {@link buildMskEvent}.
 */
export interface KafkaEvent {
  eventSource: KafkaEventSource;
  /** Present for `aws:kafka` only: the MSK cluster ARN. */
  eventSourceArn?: string;
  /** Comma-separated `host:port` list. */
  bootstrapServers?: string | null;
  /** Keyed by `"<topic>-<partition>"`; each array holds that partition's records. */
  records: Record<string, RawKafkaRecord[]>;
}

/** One parsed header: its name and its bytes (unsigned), or `null` for a null header value. */
export interface KafkaHeader {
  readonly name: string;
  readonly value: Buffer | null;
}
