import { ConsumerOffsetsDecodeError } from './errors.ts';

/**
 * Decoder of the records the group coordinator writes to `__consumer_offsets` (Kafka 3.x).
 *
 * Key (big-endian): `int16 version`, then by version
 * - 0, 1 — OffsetCommitKey: `string group, string topic, int32 partition`
 * - 2 — GroupMetadataKey (`string group`), and higher numbers for newer coordinator record types:
 *   not offsets, skipped.
 *
 * Value (OffsetCommitValue): `int16 version`, then
 * - v0: `int64 offset, string metadata, int64 commitTimestamp`
 * - v1: `int64 offset, string metadata, int64 commitTimestamp, int64 expireTimestamp`
 * - v2: `int64 offset, string metadata, int64 commitTimestamp`
 * - v3: `int64 offset, int32 leaderEpoch, string metadata, int64 commitTimestamp`
 * - v4: v3's fields in the flexible encoding (compact string, trailing tagged fields; KIP-915)
 *
 * `string` = int16 length + UTF-8 bytes. A null value is a tombstone (offsets deleted or expired).
 * Schemas: OffsetCommitKey.json / OffsetCommitValue.json in Kafka's group-coordinator module.
 */

/** The internal topic holding committed offsets and group metadata. */
export const CONSUMER_OFFSETS_TOPIC = '__consumer_offsets';

/** A decoded OffsetCommitKey. */
export interface OffsetCommitKey {
  readonly version: number;
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
}

/** A decoded OffsetCommitValue. Fields a version lacks hold their schema default (-1). */
export interface OffsetCommitValue {
  readonly version: number;
  readonly offset: number;
  readonly leaderEpoch: number;
  readonly metadata: string;
  readonly commitTimestamp: number;
  readonly expireTimestamp: number;
}

/** One offset commit: where (key) and what (value). */
export interface OffsetCommitRecord extends OffsetCommitKey {
  readonly offset: number;
  readonly leaderEpoch: number;
  readonly metadata: string;
  readonly commitTimestamp: number;
  readonly expireTimestamp: number;
  readonly valueVersion: number;
}

class Cursor {
  private position = 0;
  public constructor(
    private readonly buffer: Buffer,
    private readonly what: string,
  ) {}

  private need(bytes: number): void {
    if (this.position + bytes > this.buffer.length) {
      throw new ConsumerOffsetsDecodeError(
        `Truncated ${this.what}: need ${bytes} byte(s) at position ${this.position}, have ${this.buffer.length - this.position}.`,
      );
    }
  }

  public int16(): number {
    this.need(2);
    const value = this.buffer.readInt16BE(this.position);
    this.position += 2;
    return value;
  }

  public int32(): number {
    this.need(4);
    const value = this.buffer.readInt32BE(this.position);
    this.position += 4;
    return value;
  }

  public int64(): number {
    this.need(8);
    const value = this.buffer.readBigInt64BE(this.position);
    this.position += 8;
    // Offsets and epoch-millisecond timestamps stay far below 2^53.
    return Number(value);
  }

  public string(): string {
    const length = this.int16();
    // The schema says non-nullable, but some writers used -1 for "no metadata".
    if (length < 0) return '';
    return this.bytes(length);
  }

  public compactString(): string {
    const lengthPlusOne = this.unsignedVarint();
    return lengthPlusOne === 0 ? '' : this.bytes(lengthPlusOne - 1);
  }

  public skipTaggedFields(): void {
    const count = this.unsignedVarint();
    for (let i = 0; i < count; i++) {
      this.unsignedVarint();
      const size = this.unsignedVarint();
      this.need(size);
      this.position += size;
    }
  }

  public unsignedVarint(): number {
    let value = 0;
    for (let shift = 0; shift <= 28; shift += 7) {
      this.need(1);
      const byte = this.buffer[this.position++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    throw new ConsumerOffsetsDecodeError(`Malformed varint in ${this.what} at position ${this.position}.`);
  }

  private bytes(length: number): string {
    this.need(length);
    const text = this.buffer.toString('utf8', this.position, this.position + length);
    this.position += length;
    return text;
  }
}

/**
 * Decodes a `__consumer_offsets` key. Returns `null` for record types that are not offset commits
 * (group metadata, and the newer coordinator records).
 *
 * @example
 * ```ts
 * const key = decodeOffsetCommitKey(message.key); // { version: 1, group: 'g', topic: 't', partition: 0 }
 * ```
 */
export function decodeOffsetCommitKey(buffer: Buffer): OffsetCommitKey | null {
  const cursor = new Cursor(buffer, '__consumer_offsets key');
  const version = cursor.int16();
  if (version !== 0 && version !== 1) return null;
  return { version, group: cursor.string(), topic: cursor.string(), partition: cursor.int32() };
}

/**
 * Decodes an OffsetCommitValue (versions 0 to 4).
 *
 * @example
 * ```ts
 * decodeOffsetCommitValue(message.value).offset;
 * ```
 */
export function decodeOffsetCommitValue(buffer: Buffer): OffsetCommitValue {
  const cursor = new Cursor(buffer, '__consumer_offsets value');
  const version = cursor.int16();
  if (version < 0 || version > 4) {
    throw new ConsumerOffsetsDecodeError(
      `Unknown OffsetCommitValue version ${version} (this decoder reads 0 to 4): a newer broker? ` +
        'Use another restore strategy (checkpoint, history or timestamp) for this cluster.',
    );
  }
  const offset = cursor.int64();
  const leaderEpoch = version >= 3 ? cursor.int32() : -1;
  const metadata = version >= 4 ? cursor.compactString() : cursor.string();
  const commitTimestamp = cursor.int64();
  const expireTimestamp = version === 1 ? cursor.int64() : -1;
  if (version >= 4) cursor.skipTaggedFields();
  return { version, offset, leaderEpoch, metadata, commitTimestamp, expireTimestamp };
}

/**
 * Decodes one `__consumer_offsets` record into an offset commit, or `null` for what is not one:
 * other record types and tombstones (a null value: offsets deleted with the group or expired).
 */
export function decodeOffsetCommitRecord(
  key: Buffer | null,
  value: Buffer | null,
  accept: (key: OffsetCommitKey) => boolean = () => true,
): OffsetCommitRecord | null {
  if (!key || !value) return null;
  const decodedKey = decodeOffsetCommitKey(key);
  // `accept` filters on the key before the value is decoded, so another group's record in an
  // unknown value format cannot fail a scan for this group.
  if (!decodedKey || !accept(decodedKey)) return null;
  const decoded = decodeOffsetCommitValue(value);
  return {
    ...decodedKey,
    offset: decoded.offset,
    leaderEpoch: decoded.leaderEpoch,
    metadata: decoded.metadata,
    commitTimestamp: decoded.commitTimestamp,
    expireTimestamp: decoded.expireTimestamp,
    valueVersion: decoded.version,
  };
}

/**
 * The `__consumer_offsets` partition that holds a group's commits: Kafka's
 * `abs(groupId.hashCode()) % partitionCount`, with Java's String.hashCode over UTF-16 code units
 * and `Utils.abs` (MIN_VALUE → 0). Lets a scan read one partition instead of all of them.
 *
 * @example
 * ```ts
 * consumerOffsetsPartitionFor('orders', 50);
 * ```
 */
export function consumerOffsetsPartitionFor(group: string, partitionCount: number): number {
  let hash = 0;
  for (let i = 0; i < group.length; i++) hash = (Math.imul(31, hash) + group.charCodeAt(i)) | 0;
  const abs = hash === -2147483648 ? 0 : Math.abs(hash);
  return abs % partitionCount;
}
