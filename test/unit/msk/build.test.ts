// Proves the handler contract of §5 behind G1/G2: the handler receives an event of the same
// shape holding exactly the records it must process — no withheld record, no lost record.
import { readFileSync } from 'node:fs';
import type { MSKEvent } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildMskEvent, encodeKafkaEvent, type KafkaEvent, parseMskEvent } from '#shared/msk/index.ts';

const fixture = (name: string): KafkaEvent =>
  JSON.parse(readFileSync(new URL(`../../fixtures/msk/${name}`, import.meta.url), 'utf8'));

describe('buildMskEvent', () => {
  it('keeps every other field of the event and the original record objects', () => {
    // Prepare
    const event = { ...fixture('msk-event.json'), extraField: { kept: true } };
    const batch = parseMskEvent(event);
    const keep = batch.records.filter((r) => r.offset !== 1042);

    // Act
    const built = buildMskEvent(event, keep);

    // Assess
    expect(built.eventSource).toBe(event.eventSource);
    expect(built.eventSourceArn).toBe(event.eventSourceArn);
    expect(built.bootstrapServers).toBe(event.bootstrapServers);
    expect(built.extraField).toEqual({ kept: true });
    expect(Object.keys(built.records)).toEqual(['orders-0', 'orders-1', 'payments.v2-3']);
    expect(built.records['orders-0']!.map((r) => r.offset)).toEqual([1041, 1043]);
    expect(built.records['orders-0']![0]).toBe(event.records['orders-0']![0]);
    expect(event.records['orders-0']).toHaveLength(3);
  });

  it('leaves out partitions with nothing kept and yields an empty records object for an empty keep', () => {
    // Prepare
    const event = fixture('msk-event.json');
    const batch = parseMskEvent(event);

    // Act
    const onlyPayments = buildMskEvent(
      event,
      batch.records.filter((r) => r.topic === 'payments.v2'),
    );
    const none = buildMskEvent(event, []);

    // Assess
    expect(Object.keys(onlyPayments.records)).toEqual(['payments.v2-3']);
    expect(none.records).toEqual({});
  });

  it('accepts @types/aws-lambda MSKEvent and returns the same type', () => {
    // Prepare
    const event = fixture('msk-event.json') as unknown as MSKEvent;
    const batch = parseMskEvent(event);

    // Act
    const built: MSKEvent = buildMskEvent(event, batch.records);

    // Assess
    expect(built).toEqual(event);
  });

  it('for any subset, in any order and with repeats, holds exactly that subset in offset order', () => {
    const inputs = fc.uniqueArray(
      fc.record({ partition: fc.integer({ min: 0, max: 3 }), offset: fc.integer({ min: 0, max: 50 }) }),
      { selector: (r) => `${r.partition}@${r.offset}`, minLength: 1, maxLength: 40 },
    );
    fc.assert(
      fc.property(
        inputs,
        fc.infiniteStream(fc.boolean()),
        fc.infiniteStream(fc.nat()),
        (records, picks, order) => {
          // Prepare
          const event = encodeKafkaEvent(
            records.map((r) => ({ topic: 'topic', ...r, value: `${r.offset}` })),
          );
          const batch = parseMskEvent(event);
          const chosen = batch.records.filter(() => picks.next().value);
          const shuffled = [...chosen, ...chosen].sort(() => (order.next().value % 3) - 1);

          // Act
          const built = buildMskEvent(event, shuffled);

          // Assess
          const rebuilt = parseMskEvent(built);
          expect(rebuilt.records.map((r) => r.coordinate)).toEqual(chosen.map((r) => r.coordinate));
          for (const records of Object.values(built.records)) expect(records.length).toBeGreaterThan(0);
        },
      ),
    );
  });
});

describe('parseMskEvent of an event built by buildMskEvent', () => {
  it('parses the built event afresh: no memo of events, the same records as kept', () => {
    // Prepare
    const event = encodeKafkaEvent([
      { topic: 'orders', partition: 0, offset: 1, value: 'a' },
      { topic: 'orders', partition: 0, offset: 2, value: 'b' },
      { topic: 'orders', partition: 1, offset: 7, value: 'c' },
    ]);
    const batch = parseMskEvent(event);
    const keep = batch.records.filter((r) => r.offset !== 2);

    // Act
    const built = buildMskEvent(event, keep);
    const reparsed = parseMskEvent(built);
    built.records['orders-0'] = [];
    const changed = parseMskEvent(built);

    // Assess
    expect(reparsed.records.map((r) => r.coordinate)).toEqual(keep.map((r) => r.coordinate));
    expect(reparsed.records[0]).not.toBe(keep[0]);
    expect(reparsed.partitions.map((p) => p.partitionKey)).toEqual(['orders-0', 'orders-1']);
    expect(reparsed.event).toBe(built);
    expect(changed.records.map((r) => r.offset)).toEqual([7]);
  });
});
