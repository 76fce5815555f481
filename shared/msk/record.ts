import { lastRawHeader, lastRawHeaderBytes, materializeHeaders } from './headers.ts';
import type { KafkaHeader, RawKafkaRecord } from './types.ts';

/** The fields {@link ParsedRecord} is built from, all already validated by `parseMskEvent`. */
export interface ParsedRecordInit {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly timestampType: string;
  /**
   * The headers, already built. Without them they are built from `raw.headers` on first read
   * (`parseMskEvent` checks those bytes; a byte outside -128..255 there throws InvalidEventError
   * when read).
   */
  readonly headers?: readonly KafkaHeader[];
  readonly raw: RawKafkaRecord;
  /** Validated base64 (or null) of the key and value; decoded on first access. */
  readonly keyBase64: string | null;
  readonly valueBase64: string | null;
  /**
   * `"<topic>-<partition>"` when the caller already holds it (`parseMskEvent` passes its
   * partition's key, one string shared by every record); built from `topic` and `partition` when
   * absent. Must equal that string.
   */
  readonly partitionKey?: string;
}

/**
 * One validated Kafka record of a Lambda event.
 *
 * Key and value are validated as base64 when the event is parsed but decoded lazily, on first
 * access, and cached: a 10,000-record batch parses without copying payloads the caller may never
 * read (key derivation from a header, for example, never touches the value).
 *
 * @example
 * ```ts
 * const batch = parseMskEvent(event);
 * for (const record of batch.records) {
 *   console.log(record.coordinate, record.value?.toString('utf8'), record.lastHeader('idempotency-key'));
 * }
 * ```
 */
export class ParsedRecord {
  public readonly topic: string;
  /** Partition number (normalised from a string when the event carried one). */
  public readonly partition: number;
  public readonly offset: number;
  /** Milliseconds since the epoch, as Kafka stamped it (`timestampType` says by whom). */
  public readonly timestamp: number;
  public readonly timestampType: string;
  /** The record object exactly as it appeared in the event (same reference). */
  public readonly raw: RawKafkaRecord;
  /** `"<topic>-<partition>"`: the key of `event.records` and of the partial-batch response. */
  public readonly partitionKey: string;

  // The validated base64 until first read, then the decoded bytes: one slot each keeps a record
  // small (a batch holds 10,000 of them).
  #key: string | Buffer | null;
  #value: string | Buffer | null;
  #coordinate: string | undefined;
  #headers: readonly KafkaHeader[] | undefined;

  public constructor(init: ParsedRecordInit) {
    this.topic = init.topic;
    this.partition = init.partition;
    this.offset = init.offset;
    this.timestamp = init.timestamp;
    this.timestampType = init.timestampType;
    this.#headers = init.headers;
    this.raw = init.raw;
    this.partitionKey = init.partitionKey ?? `${init.topic}-${init.partition}`;
    this.#key = init.keyBase64;
    this.#value = init.valueBase64;
  }

  /** `"<topic>-<partition>@<offset>"`: identifies this delivery in logs and errors. */
  public get coordinate(): string {
    // Built on first read: only errors, logs and a few lookups need it, not every parsed record.
    this.#coordinate ??= `${this.partitionKey}@${this.offset}`;
    return this.#coordinate;
  }

  /** Key bytes, or `null` when the record has no key. */
  public get key(): Buffer | null {
    if (typeof this.#key === 'string') this.#key = Buffer.from(this.#key, 'base64');
    return this.#key;
  }

  /** Value bytes, or `null` for a tombstone. */
  public get value(): Buffer | null {
    if (typeof this.#value === 'string') this.#value = Buffer.from(this.#value, 'base64');
    return this.#value;
  }

  /** Headers in record order; a name may appear more than once. Built on first read. */
  public get headers(): readonly KafkaHeader[] {
    this.#headers ??= materializeHeaders(this.raw.headers, this.partitionKey, this.offset);
    return this.#headers;
  }

  /**
   * The value of the last header named `name` (exact, case-sensitive match, like Kafka's
   * `Headers.lastHeader`): `undefined` when absent, `null` when present with a null value.
   */
  public lastHeader(name: string): Buffer | null | undefined {
    const headers = this.#headers;
    // Before the headers are built, only the one asked for is (key derivation reads one per record).
    if (headers === undefined) return lastRawHeader(this.raw.headers, name, this.partitionKey, this.offset);
    for (let i = headers.length - 1; i >= 0; i--) {
      const header = headers[i]!;
      if (header.name === name) return header.value;
    }
    return undefined;
  }

  /**
   * {@link ParsedRecord.lastHeader} without a copy while the headers are not built: then the
   * event's own array of checked bytes (read each as `b & 0xff`; never modify it). Key derivation
   * reads one header of every record this way. `checkBytes: false` is for a caller that checks
   * the whole event's headers before using what it reads (see {@link lastRawHeaderBytes}).
   */
  public lastHeaderBytes(name: string, checkBytes = true): Uint8Array | readonly number[] | null | undefined {
    if (this.#headers !== undefined) return this.lastHeader(name);
    return lastRawHeaderBytes(this.raw.headers, name, this.partitionKey, this.offset, checkBytes);
  }

  /** Every value of the headers named `name`, in record order. */
  public headerValues(name: string): Array<Buffer | null> {
    return this.headers.filter((h) => h.name === name).map((h) => h.value);
  }
}
