// The hand-over to the handler (design §5, drop-in): the handler gets an event of the same shape
// with only the records to process; processRecordsInOrder takes the records already parsed and
// reports their outcome directly; a handler that builds its own response is read as Lambda reads it.
import { describe, expect, it } from 'vitest';
import type { RecordFate } from '#shared/dedup/plan.ts';
import { handOver } from '#shared/middleware/handler-batch.ts';
import { encodeKafkaEvent, parseMskEvent, processRecordsInOrder } from '#shared/msk/index.ts';

const batch = parseMskEvent(
  encodeKafkaEvent([
    { topic: 'orders', partition: 0, offset: 10, value: 'a' },
    { topic: 'orders', partition: 0, offset: 11, value: 'b' },
    { topic: 'orders', partition: 0, offset: 12, value: 'c' },
    { topic: 'orders', partition: 1, offset: 5, value: 'd' },
  ]),
);
const process: RecordFate = { kind: 'process', key: undefined, leased: false, probable: false };
const withheld: RecordFate = { kind: 'withheld', tier: 'exact' };
const fates = [process, withheld, process, withheld];

describe('handOver', () => {
  it('hands on only the records to process, in the shape of the original event', () => {
    const handed = handOver(batch, fates);
    expect(handed.records.map((r) => r.coordinate)).toEqual(['orders-0@10', 'orders-0@12']);
    expect(Object.keys(handed.event.records)).toEqual(['orders-0']);
    expect(handed.event.records['orders-0']!.map((r) => r.offset)).toEqual([10, 12]);
    expect(handed.event.eventSource).toBe(batch.event.eventSource);
    expect(JSON.parse(JSON.stringify(handed.event)).records['orders-0']).toHaveLength(2);
  });

  it('processRecordsInOrder runs the parsed records themselves and reports the outcome', async () => {
    const handed = handOver(batch, fates);
    const seen: unknown[] = [];
    const { response } = await processRecordsInOrder(handed.event, (record) => {
      seen.push(record);
      if (record.offset === 12) throw new Error('boom');
    });
    expect(seen).toEqual([handed.records[0], handed.records[1]]); // the same objects: not parsed again
    expect(handed.retryFrom(response)).toEqual(new Map([['orders-0', 12]]));
  });

  it.each<[string, unknown, Map<string, number> | string]>([
    ['no response: success', undefined, new Map()],
    [
      'its own partial-batch response',
      { batchItemFailures: [{ itemIdentifier: { partition: 'orders-0', offset: 10 } }] },
      new Map([['orders-0', 10]]),
    ],
    [
      'a response naming a record it was not given: invalid',
      { batchItemFailures: [{ itemIdentifier: { partition: 'orders-0', offset: 11 } }] },
      'batchItemFailures[0] names orders-0@11, which is not a record of this batch',
    ],
  ])('a handler that builds its own response: %s', (_name, response, expected) => {
    expect(handOver(batch, fates).retryFrom(response)).toEqual(expected);
  });

  it('reads the returned response, not the report, when the handler returns something else', async () => {
    const handed = handOver(batch, fates);
    await processRecordsInOrder(handed.event, (record) => {
      if (record.offset === 10) throw new Error('boom');
    });
    expect(handed.retryFrom({ batchItemFailures: [] })).toEqual(new Map());
  });

  it('reads the response, not the report, when the handler adds failures to the response it was given', async () => {
    // Prepare: every record succeeds in processRecordsInOrder; the handler's own bulk write then fails.
    const handed = handOver(batch, fates);
    const { response } = await processRecordsInOrder(handed.event, () => {});

    // Act
    response.batchItemFailures.push({ itemIdentifier: { partition: 'orders-0', offset: 12 } });

    // Assess
    expect(handed.retryFrom(response)).toEqual(new Map([['orders-0', 12]]));
  });

  it('keeps the reported failures when the handler returns no response after them', async () => {
    // Prepare: orders-0@10 fails, so orders-0@12 never runs; the handler forgets to return the response.
    const handed = handOver(batch, fates);
    const { response } = await processRecordsInOrder(handed.event, (record) => {
      if (record.offset === 10) throw new Error('boom');
    });

    // Act + Assess: nothing returned is not "every record done".
    expect(handed.retryFrom(undefined)).toEqual(new Map([['orders-0', 10]]));
    expect(handed.unreturnedFailures(undefined)).toEqual(new Map([['orders-0', 10]]));
    expect(handed.unreturnedFailures(response)).toBeUndefined();
  });
});
