// Proves G2 and G3 at the batch level: the partial-batch response names, per partition, exactly
// the lowest offset that did not succeed (so Lambda redelivers everything not done and nothing is
// checkpointed past a failure), and reading it back splits the batch the same way.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BatchResponseOutcome,
  encodeKafkaEvent,
  interpretBatchResponse,
  type KafkaRecordInput,
  type ParsedRecord,
  parseMskEvent,
  processRecordsInOrder,
  toBatchItemFailures,
} from '#shared/msk/index.ts';

interface GeneratedBatch {
  readonly records: KafkaRecordInput[];
  /** Coordinates (`topic-partition@offset`) whose handler throws. */
  readonly failing: ReadonlySet<string>;
}

// 1-6 partitions of two topics, 1-25 records each, unique offsets per partition given in random
// order, and a failure set whose density varies per partition (none, some, half, all).
const generatedBatch: fc.Arbitrary<GeneratedBatch> = fc
  .uniqueArray(
    fc.record({
      topic: fc.constantFrom('orders', 'payments.v2'),
      partition: fc.integer({ min: 0, max: 3 }),
      offsets: fc.uniqueArray(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 25 }),
      failRate: fc.constantFrom(0, 0.1, 0.5, 1),
    }),
    { selector: (p) => `${p.topic}-${p.partition}`, minLength: 1, maxLength: 6 },
  )
  .chain((partitions) => {
    const records = partitions.flatMap((p) =>
      p.offsets.map((offset) => ({ topic: p.topic, partition: p.partition, offset, value: `v${offset}` })),
    );
    const draws = records.map((_, i) => {
      const rate = partitions.find(
        (p) => p.topic === records[i]!.topic && p.partition === records[i]!.partition,
      )!;
      return fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }).map((x) => x < rate.failRate);
    });
    return fc.tuple(...draws).map((fails) => ({
      records,
      failing: new Set(
        records.filter((_, i) => fails[i]).map((r) => `${r.topic}-${r.partition}@${r.offset}`),
      ),
    }));
  });

const lowestFailingOffsets = (
  records: readonly ParsedRecord[],
  failing: ReadonlySet<string>,
): Map<string, number> => {
  const lowest = new Map<string, number>();
  for (const r of records) {
    if (!failing.has(r.coordinate)) continue;
    lowest.set(r.partitionKey, Math.min(lowest.get(r.partitionKey) ?? Number.POSITIVE_INFINITY, r.offset));
  }
  return lowest;
};

const coordinates = (records: readonly ParsedRecord[]): string[] => records.map((r) => r.coordinate).sort();

describe('processRecordsInOrder + toBatchItemFailures (properties)', () => {
  it('reports each failing partition once, at its lowest failing offset, and no other partition', async () => {
    await fc.assert(
      fc.asyncProperty(
        generatedBatch,
        fc.integer({ min: 1, max: 4 }),
        async ({ records, failing }, concurrency) => {
          // Prepare
          const batch = parseMskEvent(encodeKafkaEvent(records));

          // Act
          const result = await processRecordsInOrder(
            batch,
            async (record) => {
              await Promise.resolve();
              if (failing.has(record.coordinate)) throw new Error(`boom ${record.coordinate}`);
            },
            { concurrency },
          );

          // Assess
          const reported = new Map(
            result.response.batchItemFailures.map((f) => [
              f.itemIdentifier.partition,
              f.itemIdentifier.offset,
            ]),
          );
          expect(result.response.batchItemFailures).toHaveLength(reported.size);
          expect(reported).toEqual(lowestFailingOffsets(batch.records, failing));
        },
      ),
    );
  });

  it('splits the input into succeeded, failed and skipped with nothing lost or doubled', async () => {
    await fc.assert(
      fc.asyncProperty(
        generatedBatch,
        fc.integer({ min: 1, max: 4 }),
        async ({ records, failing }, concurrency) => {
          // Prepare
          const batch = parseMskEvent(encodeKafkaEvent(records));
          const lowest = lowestFailingOffsets(batch.records, failing);
          const calls: ParsedRecord[] = [];

          // Act
          const result = await processRecordsInOrder(
            batch,
            async (record) => {
              calls.push(record);
              await Promise.resolve();
              if (failing.has(record.coordinate)) throw new Error('boom');
            },
            { concurrency },
          );

          // Assess
          const all = [...result.succeeded, ...result.failed.map((f) => f.record), ...result.skipped];
          expect(coordinates(all)).toEqual(coordinates(batch.records));
          expect(new Set(all.map((r) => r.coordinate)).size).toBe(batch.records.length);
          for (const r of result.succeeded)
            expect(r.offset).toBeLessThan(lowest.get(r.partitionKey) ?? Infinity);
          for (const f of result.failed) expect(f.record.offset).toBe(lowest.get(f.record.partitionKey));
          for (const r of result.skipped) expect(r.offset).toBeGreaterThan(lowest.get(r.partitionKey)!);
          expect(coordinates(calls)).toEqual(
            coordinates([...result.succeeded, ...result.failed.map((f) => f.record)]),
          );
          for (const p of batch.partitions) {
            const offsets = calls.filter((c) => c.partitionKey === p.partitionKey).map((c) => c.offset);
            expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
          }
        },
      ),
    );
  });

  it('is read back by interpretBatchResponse into the same split', async () => {
    await fc.assert(
      fc.asyncProperty(generatedBatch, async ({ records, failing }) => {
        // Prepare
        const batch = parseMskEvent(encodeKafkaEvent(records));
        const result = await processRecordsInOrder(batch, (record) => {
          if (failing.has(record.coordinate)) throw new Error('boom');
        });

        // Act
        const outcome = interpretBatchResponse(batch, JSON.parse(JSON.stringify(result.response)));

        // Assess
        expect(outcome.status).toBe(failing.size === 0 ? 'success' : 'partial');
        const { succeeded, retried } = splitByRetry(batch.records, outcome);
        expect(coordinates(succeeded)).toEqual(coordinates(result.succeeded));
        expect(coordinates(retried)).toEqual(
          coordinates([...result.failed.map((f) => f.record), ...result.skipped]),
        );
      }),
    );
  });

  it('toBatchItemFailures keeps the minimum per partition whatever the order and repeats', () => {
    const entry = fc.record({
      partitionKey: fc.constantFrom('a-0', 'a-1', 'b.c-0', 'b-c-12'),
      offset: fc.nat(),
    });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 60 }), (entries) => {
        // Prepare
        const expected = new Map<string, number>();
        for (const e of entries)
          expected.set(e.partitionKey, Math.min(expected.get(e.partitionKey) ?? Infinity, e.offset));

        // Act
        const response = toBatchItemFailures(entries);

        // Assess
        const got = response.batchItemFailures.map((f) => [
          f.itemIdentifier.partition,
          f.itemIdentifier.offset,
        ]);
        expect(new Map(got as Array<[string, number]>)).toEqual(expected);
        expect(got).toHaveLength(expected.size);
      }),
    );
  });
});

/** The records an outcome lets succeed and those Lambda delivers again (an invalid response: all of them). */
function splitByRetry(records: readonly ParsedRecord[], outcome: BatchResponseOutcome) {
  const retried = (r: ParsedRecord) =>
    outcome.status === 'invalid' ||
    r.offset >= (outcome.retryFrom.get(r.partitionKey) ?? Number.POSITIVE_INFINITY);
  return { succeeded: records.filter((r) => !retried(r)), retried: records.filter(retried) };
}
