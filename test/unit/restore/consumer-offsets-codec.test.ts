// Restore correctness (design §1 "Lost offsets", §7 consumer-offsets strategy): the decoder of
// __consumer_offsets reads every OffsetCommit key/value version Kafka 3.x writes, byte for byte,
// and skips what is not an offset commit. Buffers are built by hand from the schemas.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  consumerOffsetsPartitionFor,
  decodeOffsetCommitKey,
  decodeOffsetCommitRecord,
  decodeOffsetCommitValue,
} from '#shared/restore/consumer-offsets-codec.ts';
import { ConsumerOffsetsDecodeError } from '#shared/restore/errors.ts';

const int16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const int64 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(n));
  return b;
};
const str = (s: string) => Buffer.concat([int16(Buffer.byteLength(s)), Buffer.from(s)]);
const uvarint = (n: number) => {
  const bytes: number[] = [];
  let v = n;
  while (v >= 0x80) {
    bytes.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  bytes.push(v);
  return Buffer.from(bytes);
};
const compactStr = (s: string) => Buffer.concat([uvarint(Buffer.byteLength(s) + 1), Buffer.from(s)]);

const key = (version: number, group: string, topic: string, partition: number) =>
  Buffer.concat([int16(version), str(group), str(topic), int32(partition)]);

interface V {
  offset: number;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  expireTimestamp: number;
}
function value(version: number, v: V): Buffer {
  const parts = [int16(version), int64(v.offset)];
  if (version >= 3) parts.push(int32(v.leaderEpoch));
  parts.push(version >= 4 ? compactStr(v.metadata) : str(v.metadata), int64(v.commitTimestamp));
  if (version === 1) parts.push(int64(v.expireTimestamp));
  // v4: one unknown tagged field (tag 7, 3 bytes) the decoder must skip.
  if (version >= 4) parts.push(uvarint(1), uvarint(7), uvarint(3), Buffer.from([1, 2, 3]));
  return Buffer.concat(parts);
}

const sample: V = {
  offset: 4242,
  leaderEpoch: 7,
  metadata: 'm',
  commitTimestamp: 1_740_000_000_123,
  expireTimestamp: 1_740_086_400_123,
};

describe('decodeOffsetCommitKey', () => {
  it.each([0, 1])('reads group, topic and partition of key version %i', (version) => {
    // Prepare
    const buffer = key(version, 'orders-svc', 'orders', 11);

    // Act
    const decoded = decodeOffsetCommitKey(buffer);

    // Assess
    expect(decoded).toEqual({ version, group: 'orders-svc', topic: 'orders', partition: 11 });
  });

  it('returns null for a GroupMetadata key (version 2) and newer record types', () => {
    // Prepare
    const groupMetadata = Buffer.concat([int16(2), str('orders-svc')]);
    const newer = Buffer.concat([int16(5), str('orders-svc')]);

    // Act
    const decoded = [decodeOffsetCommitKey(groupMetadata), decodeOffsetCommitKey(newer)];

    // Assess
    expect(decoded).toEqual([null, null]);
  });

  it('names a truncated key instead of reading garbage', () => {
    // Prepare
    const truncated = key(1, 'g', 'orders', 3).subarray(0, 9);

    // Act
    const act = () => decodeOffsetCommitKey(truncated);

    // Assess
    expect(act).toThrow(ConsumerOffsetsDecodeError);
    expect(act).toThrow(/Truncated __consumer_offsets key/);
  });
});

describe('decodeOffsetCommitValue', () => {
  it.each([
    [0, { leaderEpoch: -1, expireTimestamp: -1 }],
    [1, { leaderEpoch: -1, expireTimestamp: sample.expireTimestamp }],
    [2, { leaderEpoch: -1, expireTimestamp: -1 }],
    [3, { leaderEpoch: 7, expireTimestamp: -1 }],
    [4, { leaderEpoch: 7, expireTimestamp: -1 }],
  ])('reads value version %i with the fields that version has', (version, expected) => {
    // Prepare
    const buffer = value(version, sample);

    // Act
    const decoded = decodeOffsetCommitValue(buffer);

    // Assess
    expect(decoded).toEqual({
      version,
      offset: sample.offset,
      metadata: 'm',
      commitTimestamp: sample.commitTimestamp,
      ...expected,
    });
  });

  it('reads a -1 metadata length as empty metadata', () => {
    // Prepare
    const buffer = Buffer.concat([int16(3), int64(9), int32(0), int16(-1), int64(1000)]);

    // Act
    const decoded = decodeOffsetCommitValue(buffer);

    // Assess
    expect(decoded).toMatchObject({ offset: 9, metadata: '', commitTimestamp: 1000 });
  });

  it('refuses an unknown value version with the next step', () => {
    // Prepare
    const buffer = Buffer.concat([int16(9), int64(1)]);

    // Act
    const act = () => decodeOffsetCommitValue(buffer);

    // Assess
    expect(act).toThrow(/Unknown OffsetCommitValue version 9.*another restore strategy/);
  });

  it('decodes whatever a valid encoder writes (property)', () => {
    // Prepare
    const values = fc.record({
      version: fc.integer({ min: 0, max: 4 }),
      offset: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      leaderEpoch: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      metadata: fc.string({ maxLength: 300 }),
      commitTimestamp: fc.integer({ min: 0, max: 4_102_444_800_000 }),
      expireTimestamp: fc.integer({ min: 0, max: 4_102_444_800_000 }),
    });

    // Act / Assess
    fc.assert(
      fc.property(values, ({ version, ...v }) => {
        const decoded = decodeOffsetCommitValue(value(version, v));
        expect(decoded.offset).toBe(v.offset);
        expect(decoded.metadata).toBe(v.metadata);
        expect(decoded.commitTimestamp).toBe(v.commitTimestamp);
        expect(decoded.leaderEpoch).toBe(version >= 3 ? v.leaderEpoch : -1);
        expect(decoded.expireTimestamp).toBe(version === 1 ? v.expireTimestamp : -1);
      }),
    );
  });
});

describe('decodeOffsetCommitRecord', () => {
  it('joins key and value, and skips tombstones and group metadata', () => {
    // Prepare
    const commit = [key(1, 'g', 't', 2), value(3, sample)] as const;
    const tombstone = [key(1, 'g', 't', 2), null] as const;
    const metadata = [Buffer.concat([int16(2), str('g')]), Buffer.from([0, 3, 1, 2])] as const;

    // Act
    const decoded = [commit, tombstone, metadata].map(([k, v]) => decodeOffsetCommitRecord(k, v));

    // Assess
    expect(decoded).toEqual([
      {
        version: 1,
        group: 'g',
        topic: 't',
        partition: 2,
        offset: 4242,
        leaderEpoch: 7,
        metadata: 'm',
        commitTimestamp: sample.commitTimestamp,
        expireTimestamp: -1,
        valueVersion: 3,
      },
      null,
      null,
    ]);
  });
});

describe('consumerOffsetsPartitionFor', () => {
  it("matches Java's abs(String.hashCode()) % n on known values", () => {
    // Prepare: "hello".hashCode() = 99162322; "polygenelubricants".hashCode() = Integer.MIN_VALUE (abs → 0).
    const cases = [
      ['hello', 50, 99162322 % 50],
      ['', 50, 0],
      ['polygenelubricants', 50, 0],
      ['Aa', 7, 2112 % 7],
    ] as const;

    // Act
    const partitions = cases.map(([group, n]) => consumerOffsetsPartitionFor(group, n));

    // Assess
    expect(partitions).toEqual(cases.map(([, , expected]) => expected));
  });
});
