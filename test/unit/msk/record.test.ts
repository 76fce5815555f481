// Proves that a ParsedRecord hands out what the event carried (key, value, names), however and
// how often it is read; the record identity of G1/G2 is built on these.
import { describe, expect, it } from 'vitest';
import { encodeKafkaEvent, ParsedRecord, type ParsedRecordInit, parseMskEvent } from '#shared/msk/index.ts';

const init: ParsedRecordInit = {
  topic: 'orders',
  partition: 3,
  offset: 42,
  timestamp: 1_718_000_000_000,
  timestampType: 'CREATE_TIME',
  headers: [{ name: 'h', value: Buffer.from('v') }],
  raw: {
    topic: 'orders',
    partition: 3,
    offset: 42,
    timestamp: 1_718_000_000_000,
    timestampType: 'CREATE_TIME',
  },
  keyBase64: Buffer.from('k').toString('base64'),
  valueBase64: null,
};

describe('ParsedRecord', () => {
  it('built from its fields alone, derives partitionKey and coordinate from topic, partition and offset', () => {
    // Prepare
    const fields = { ...init };

    // Act
    const record = new ParsedRecord(fields);

    // Assess
    expect(record.partitionKey).toBe('orders-3');
    expect(record.coordinate).toBe('orders-3@42');
    expect(record.key?.toString()).toBe('k');
    expect(record.value).toBeNull();
    expect(record.lastHeader('h')?.toString()).toBe('v');
  });

  it('takes a partitionKey it is given', () => {
    // Prepare
    const fields = { ...init, partitionKey: 'orders-3' };

    // Act
    const record = new ParsedRecord(fields);

    // Assess
    expect(record.partitionKey).toBe('orders-3');
    expect(record.coordinate).toBe('orders-3@42');
  });

  it('decodes key and value once, and keeps no key, an empty key and a tombstone apart', () => {
    // Prepare
    const { records } = parseMskEvent(
      encodeKafkaEvent([
        { topic: 't', partition: 0, offset: 1, key: 'k', value: 'v' },
        { topic: 't', partition: 0, offset: 2, key: '', value: '' },
        { topic: 't', partition: 0, offset: 3 },
      ]),
    );
    const [both, empty, none] = records;

    // Act
    const reads = [both!.key, both!.key, both!.value, both!.value];

    // Assess
    expect(reads[0]).toBe(reads[1]);
    expect(reads[2]).toBe(reads[3]);
    expect(reads.map((b) => b?.toString())).toEqual(['k', 'k', 'v', 'v']);
    expect(empty!.key).toEqual(Buffer.alloc(0));
    expect(empty!.key).toEqual(Buffer.alloc(0));
    expect(empty!.value).toEqual(Buffer.alloc(0));
    expect(none!.key).toBeNull();
    expect(none!.value).toBeNull();
    expect(none!.value).toBeNull();
  });

  it('reads coordinate as a property, the same every time', () => {
    // Prepare
    const record = parseMskEvent(encodeKafkaEvent([{ topic: 'orders', partition: 0, offset: 11 }]))
      .records[0]!;

    // Act
    const first = record.coordinate;

    // Assess
    expect(first).toBe('orders-0@11');
    expect(record.coordinate).toBe(first);
    expect(record).toMatchObject({ partitionKey: 'orders-0', coordinate: 'orders-0@11', offset: 11 });
  });
});
