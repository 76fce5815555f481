// G6 for processRecordsInOrder's own argument: a handler that is not a function is a
// ConfigurationError before any record runs, not a TypeError recorded as every partition's first
// failure (a partial-batch response Lambda would redeliver forever).
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '#shared/errors.ts';
import { encodeKafkaEvent, parseMskEvent, processRecordsInOrder } from '#shared/msk/index.ts';

const batch = () =>
  parseMskEvent(
    encodeKafkaEvent([
      { topic: 'orders', partition: 0, offset: 1, value: 'a' },
      { topic: 'orders', partition: 1, offset: 2, value: 'b' },
    ]),
  );

describe('processRecordsInOrder argument checks', () => {
  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'handler'],
    ['an object', { handle: () => {} }],
  ])('rejects a handler that is %s with a ConfigurationError naming it', async (_name, handler) => {
    // Act
    const run = processRecordsInOrder(batch(), handler as never);

    // Assess
    await expect(run).rejects.toBeInstanceOf(ConfigurationError);
    await expect(run).rejects.toThrow(/record handler must be a function/);
  });

  it('still runs every record with a function handler and a real signal', async () => {
    // Act
    const result = await processRecordsInOrder(batch(), () => {}, { signal: new AbortController().signal });

    // Assess
    expect(result.succeeded.map((r) => r.coordinate)).toEqual(['orders-0@1', 'orders-1@2']);
    expect(result.response.batchItemFailures).toEqual([]);
  });
});
