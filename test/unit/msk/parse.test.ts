// Proves G6 (bad input gets a clear, typed error naming the record and the reason) for the
// Lambda Kafka event model, and that valid MSK / self-managed events parse faithfully.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidEventError } from '#shared/errors.ts';
import { encodeKafkaEvent, isParsedBatch, ParsedRecord, parseMskEvent } from '#shared/msk/index.ts';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../fixtures/msk/${name}`, import.meta.url), 'utf8'));

interface MalformedCase {
  name: string;
  event: unknown;
  reason: string;
  record?: string;
}

describe('parseMskEvent', () => {
  it('parses an Amazon MSK event: partitions in event order, records in offset order', () => {
    // Prepare
    const event = fixture('msk-event.json');

    // Act
    const batch = parseMskEvent(event);

    // Assess
    expect(batch.eventSource).toBe('aws:kafka');
    expect(batch.eventSourceArn).toMatch(/^arn:aws:kafka:eu-west-1:/);
    expect(batch.bootstrapServers).toContain(':9098');
    expect(batch.partitions.map((p) => [p.partitionKey, p.topic, p.partition])).toEqual([
      ['orders-0', 'orders', 0],
      ['orders-1', 'orders', 1],
      ['payments.v2-3', 'payments.v2', 3],
    ]);
    expect(batch.records.map((r) => r.coordinate)).toEqual([
      'orders-0@1041',
      'orders-0@1042',
      'orders-0@1043',
      'orders-1@77',
      'payments.v2-3@5',
    ]);
    expect(batch.event).toBe(event);
    expect(isParsedBatch(batch)).toBe(true);
  });

  it('decodes key, value and headers, with null key, tombstone, null and repeated headers', () => {
    // Prepare
    const batch = parseMskEvent(fixture('msk-event.json'));
    const [first, noKey, tombstone] = batch.records;
    const emptyKey = batch.records[4]!;

    // Act
    const firstValue = JSON.parse(first!.value!.toString('utf8'));

    // Assess
    expect(first!.key?.toString('utf8')).toBe('customer-17');
    expect(firstValue).toEqual({ order: { id: 'ord-9001', amount: 4999, currency: 'EUR' } });
    expect(first!.lastHeader('idempotency-key')?.toString('utf8')).toBe('ord-9001/created');
    expect(noKey!.key).toBeNull();
    // Header bytes arrive signed (Java bytes); non-ASCII must survive the round trip.
    expect(noKey!.lastHeader('idempotency-key')?.toString('utf8')).toBe('ord-9002/créé');
    expect(noKey!.headerValues('x-retry').map((v) => v?.toString('utf8'))).toEqual(['1', '2']);
    expect(noKey!.lastHeader('x-retry')?.toString('utf8')).toBe('2');
    expect(noKey!.lastHeader('x-empty')).toBeNull();
    expect(noKey!.lastHeader('absent')).toBeUndefined();
    expect(tombstone!.value).toBeNull();
    expect(tombstone!.headers).toEqual([]);
    expect(emptyKey.key).toEqual(Buffer.alloc(0));
  });

  it('parses a self-managed Kafka event with string partitions and no ARN', () => {
    // Prepare
    const event = fixture('self-managed-event.json');

    // Act
    const batch = parseMskEvent(event);

    // Assess
    expect(batch.eventSource).toBe('SelfManagedKafka');
    expect(batch.eventSourceArn).toBeUndefined();
    const [adjusted, deleted] = batch.records;
    expect(adjusted!.partition).toBe(2);
    expect(adjusted!.partitionKey).toBe('inventory-events-2');
    expect(adjusted!.raw.partition).toBe('2');
    expect(adjusted!.timestampType).toBe('CREATE_TIME');
    expect(deleted!.value).toBeNull();
    expect(deleted!.lastHeader('ce_type')?.toString()).toBe('com.example.inventory.deleted.v1');
  });

  it('sorts an out-of-order partition by offset and keeps the raw record objects', () => {
    // Prepare
    const event = encodeKafkaEvent([
      { topic: 't', partition: 0, offset: 9, value: 'c' },
      { topic: 't', partition: 0, offset: 3, value: 'a' },
      { topic: 't', partition: 0, offset: 5, value: 'b' },
    ]);
    const rawFive = event.records['t-0']![2];

    // Act
    const batch = parseMskEvent(event);

    // Assess
    expect(batch.records.map((r) => r.offset)).toEqual([3, 5, 9]);
    expect(batch.records.map((r) => r.value?.toString())).toEqual(['a', 'b', 'c']);
    expect(batch.records[1]!.raw).toBe(rawFive);
    expect(event.records['t-0']!.map((r) => r.offset)).toEqual([9, 3, 5]);
  });

  it('accepts an empty records object and skips empty partition arrays', () => {
    // Prepare
    const event = { eventSource: 'SelfManagedKafka', records: { 't-0': [] } };

    // Act
    const batch = parseMskEvent(event);

    // Assess
    expect(batch.partitions).toEqual([]);
    expect(batch.records).toEqual([]);
  });

  it('decodes key and value lazily and only once', () => {
    // Prepare
    const batch = parseMskEvent(
      encodeKafkaEvent([{ topic: 't', partition: 0, offset: 1, key: 'k', value: 'v' }]),
    );
    const record = batch.records[0]!;

    // Act
    const first = record.value;
    const second = record.value;

    // Assess
    expect(record).toBeInstanceOf(ParsedRecord);
    expect(first).toBe(second);
    expect(record.key?.toString()).toBe('k');
  });

  const malformed = fixture('malformed-events.json') as MalformedCase[];
  it.each(malformed.map((c) => [c.name, c] as const))('rejects %s with InvalidEventError', (_name, c) => {
    // Prepare
    let thrown: unknown;

    // Act
    try {
      parseMskEvent(c.event);
    } catch (error) {
      thrown = error;
    }

    // Assess
    expect(thrown).toBeInstanceOf(InvalidEventError);
    const error = thrown as InvalidEventError;
    expect(error.message).toContain(c.reason);
    expect(error.record).toBe(c.record);
    expect(error.retriable).toBe(false);
  });
});
