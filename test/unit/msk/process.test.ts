// Proves the §5 per-record helper and response reading behind G2/G3/G5: a partition stops at its
// first failure, unprocessed records are reported for redelivery, and a response Lambda would
// reject never lets records be completed.

import { describe, expect, it } from 'vitest';
import { ConfigurationError, InvalidEventError } from '#shared/errors.ts';
import {
  type BatchResponseOutcome,
  encodeKafkaEvent,
  interpretBatchResponse,
  type ParsedRecord,
  parseMskEvent,
  processRecordsInOrder,
} from '#shared/msk/index.ts';

const event = encodeKafkaEvent([
  { topic: 'orders', partition: 0, offset: 10, value: 'a' },
  { topic: 'orders', partition: 0, offset: 11, value: 'b' },
  { topic: 'orders', partition: 0, offset: 12, value: 'c' },
  { topic: 'orders', partition: 1, offset: 5, value: 'd' },
  { topic: 'orders', partition: 1, offset: 6, value: 'e' },
]);

describe('processRecordsInOrder', () => {
  it('stops a partition at its first failure and carries on with the others', async () => {
    // Prepare
    const seen: string[] = [];
    const failure = new Error('db down');

    // Act
    const result = await processRecordsInOrder(event, (record) => {
      seen.push(record.coordinate);
      if (record.coordinate === 'orders-0@11') throw failure;
    });

    // Assess
    expect(seen).toEqual(['orders-0@10', 'orders-0@11', 'orders-1@5', 'orders-1@6']);
    expect(result.succeeded.map((r) => r.coordinate)).toEqual(['orders-0@10', 'orders-1@5', 'orders-1@6']);
    expect(result.failed).toEqual([
      { record: expect.objectContaining({ coordinate: 'orders-0@11' }), error: failure },
    ]);
    expect(result.skipped.map((r) => r.coordinate)).toEqual(['orders-0@12']);
    expect(result.response).toEqual({
      batchItemFailures: [{ itemIdentifier: { partition: 'orders-0', offset: 11 } }],
    });
  });

  it('returns an empty failure list when every record succeeds', async () => {
    // Prepare
    const handled: ParsedRecord[] = [];

    // Act
    const result = await processRecordsInOrder(parseMskEvent(event), async (record) => {
      handled.push(record);
    });

    // Assess
    expect(handled).toHaveLength(5);
    expect(result.response).toEqual({ batchItemFailures: [] });
  });

  it('skips records not yet started once the signal aborts and reports them for redelivery', async () => {
    // Prepare
    const controller = new AbortController();

    // Act
    const result = await processRecordsInOrder(
      event,
      (record) => {
        if (record.coordinate === 'orders-0@11') controller.abort();
      },
      { signal: controller.signal },
    );

    // Assess
    expect(result.succeeded.map((r) => r.coordinate)).toEqual(['orders-0@10', 'orders-0@11']);
    expect(result.failed).toEqual([]);
    expect(result.skipped.map((r) => r.coordinate)).toEqual(['orders-0@12', 'orders-1@5', 'orders-1@6']);
    expect(result.response.batchItemFailures).toEqual([
      { itemIdentifier: { partition: 'orders-0', offset: 12 } },
      { itemIdentifier: { partition: 'orders-1', offset: 5 } },
    ]);
  });

  it('runs partitions concurrently when asked, still in offset order within each', async () => {
    // Prepare
    const log: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });

    // Act
    const result = await processRecordsInOrder(
      event,
      async (record) => {
        log.push(`start ${record.coordinate}`);
        if (record.coordinate === 'orders-0@10') await gate;
        if (record.coordinate === 'orders-1@6') release();
      },
      { concurrency: 2 },
    );

    // Assess: partition 1 ran while partition 0's first record was blocked.
    expect(log.indexOf('start orders-1@6')).toBeLessThan(log.indexOf('start orders-0@11'));
    expect(result.succeeded).toHaveLength(5);
  });

  it('rejects a bad concurrency and a malformed event with typed errors', async () => {
    // Prepare
    const noop = (): void => {};

    // Act
    const badConcurrency = processRecordsInOrder(event, noop, { concurrency: 0 });
    const badEvent = processRecordsInOrder({ eventSource: 'aws:sqs' }, noop);

    // Assess
    await expect(badConcurrency).rejects.toBeInstanceOf(ConfigurationError);
    await expect(badEvent).rejects.toBeInstanceOf(InvalidEventError);
  });
});

describe('interpretBatchResponse', () => {
  const batch = parseMskEvent(event);
  const split = (response: unknown) => {
    const outcome = interpretBatchResponse(batch, response);
    const { succeeded, retried } = splitByRetry(batch.records, outcome);
    return {
      status: outcome.status,
      succeeded: succeeded.map((r) => r.coordinate),
      retried: retried.map((r) => r.coordinate),
    };
  };

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'ok'],
    ['an object without failures', { statusCode: 200 }],
    ['null failures', { batchItemFailures: null }],
    ['an empty failure list', { batchItemFailures: [] }],
  ])('treats %s as full success', (_name, response) => {
    // Prepare
    const all = batch.records.map((r) => r.coordinate);

    // Act
    const outcome = split(response);

    // Assess
    expect(outcome).toEqual({ status: 'success', succeeded: all, retried: [] });
  });

  it('retries each listed partition from the lowest listed offset', () => {
    // Prepare
    const response = {
      batchItemFailures: [
        { itemIdentifier: { partition: 'orders-0', offset: 12 } },
        { itemIdentifier: { partition: 'orders-0', offset: 11 } },
      ],
    };

    // Act
    const outcome = interpretBatchResponse(batch, response);

    // Assess
    expect(outcome.status).toBe('partial');
    const { succeeded, retried } = splitByRetry(batch.records, outcome);
    expect(succeeded.map((r) => r.coordinate)).toEqual(['orders-0@10', 'orders-1@5', 'orders-1@6']);
    expect(retried.map((r) => r.coordinate)).toEqual(['orders-0@11', 'orders-0@12']);
    expect(outcome.retryFrom).toEqual(new Map([['orders-0', 11]]));
  });

  it.each([
    ['failures not an array', { batchItemFailures: { partition: 'orders-0', offset: 11 } }, 'not an array'],
    ['a string identifier', { batchItemFailures: [{ itemIdentifier: 'orders-0@11' }] }, 'is not an object'],
    [
      'a string offset',
      { batchItemFailures: [{ itemIdentifier: { partition: 'orders-0', offset: '11' } }] },
      'must be { partition: string, offset: number }',
    ],
    [
      'an unknown partition',
      { batchItemFailures: [{ itemIdentifier: { partition: 'orders-7', offset: 11 } }] },
      'not a record of this batch',
    ],
    [
      'an offset not in the batch',
      { batchItemFailures: [{ itemIdentifier: { partition: 'orders-0', offset: 99 } }] },
      'not a record of this batch',
    ],
  ])('treats %s as invalid: every record is retried', (_name, response, reason) => {
    // Prepare
    const all = batch.records.map((r) => r.coordinate);

    // Act
    const outcome = interpretBatchResponse(batch.records, response);

    // Assess
    expect(outcome.status).toBe('invalid');
    expect(outcome.reason).toContain(reason);
    const { succeeded, retried } = splitByRetry(batch.records, outcome);
    expect(succeeded).toEqual([]);
    expect(retried.map((r) => r.coordinate)).toEqual(all);
  });
});

/** The records an outcome lets succeed and those Lambda delivers again (an invalid response: all of them). */
function splitByRetry(records: readonly ParsedRecord[], outcome: BatchResponseOutcome) {
  const retried = (r: ParsedRecord) =>
    outcome.status === 'invalid' ||
    r.offset >= (outcome.retryFrom.get(r.partitionKey) ?? Number.POSITIVE_INFINITY);
  return { succeeded: records.filter((r) => !retried(r)), retried: records.filter(retried) };
}
