// G2 (nothing lost): the local filter never misses a recently added key, and its false
// positives stay near the configured rate, so probabilistic mode quarantines only what it should.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LocalBloomFilter } from '#shared/dedup/bloom/local-filter.ts';
import { type BloomParams, bloomParams, expectedFalsePositiveRate } from '#shared/dedup/bloom/params.ts';
import { ConfigurationError, MskGuardError } from '#shared/errors.ts';

/** A key digest as upstream makes it: the first 128 bits of SHA-256. */
function digestOf(label: string): Buffer {
  return createHash('sha256').update(label).digest().subarray(0, 16);
}

function digests(prefix: string, count: number): Buffer[] {
  return Array.from({ length: count }, (_, i) => digestOf(`${prefix}-${i}`));
}

function shareReportedPresent(filter: LocalBloomFilter, probes: readonly Buffer[]): number {
  return probes.filter((d) => filter.has(d)).length / probes.length;
}

const digestArb = fc.uint8Array({ minLength: 16, maxLength: 16 });

// Statistical bound for the false-positive tests. With 100,000 probes at a rate near 1 %, the count
// of false positives is binomial with a standard deviation of ~3 % of its mean, so ±50 % is more
// than 15 standard deviations: it does not flake. A filter using one bit per key (k = 1, or k
// positions that all coincide) has a rate near 10 % at this size and falls far outside.
const PROBES = 100_000;
const LOW = 0.5;
const HIGH = 1.5;

describe('LocalBloomFilter', () => {
  it('never reports an added key as absent', () => {
    fc.assert(
      fc.property(fc.array(digestArb, { maxLength: 300 }), (added) => {
        // Prepare
        const filter = new LocalBloomFilter({ capacity: 1000, falsePositiveRate: 0.01 });

        // Act
        for (const d of added) filter.add(d);

        // Assess
        for (const d of added) expect(filter.has(d)).toBe(true);
      }),
    );
  });

  it('never reports one of the last `capacity` added keys as absent, across rotations', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.array(digestArb, { maxLength: 400 }),
        (capacity, added) => {
          // Prepare
          const filter = new LocalBloomFilter({ capacity, falsePositiveRate: 0.01 });

          // Act
          for (const d of added) filter.add(d);

          // Assess
          for (const d of added.slice(-capacity)) expect(filter.has(d)).toBe(true);
        },
      ),
    );
  });

  it('keeps its false-positive rate near the expected one when its generation is full', () => {
    // Prepare
    const params = bloomParams({ capacity: 20_000, falsePositiveRate: 0.01 });
    const filter = new LocalBloomFilter({ capacity: 20_000, params });
    for (const d of digests('member', 20_000)) filter.add(d);

    // Act
    const measured = shareReportedPresent(filter, digests('absent', PROBES));

    // Assess
    const expected = expectedFalsePositiveRate(params, 20_000);
    expect(measured).toBeGreaterThan(expected * LOW);
    expect(measured).toBeLessThan(expected * HIGH);
  });

  it('uses a bound that rejects a one-bit-per-key filter of the same size', () => {
    // Prepare: same m, k = 1 — what a filter whose k positions coincide amounts to.
    const params: BloomParams = {
      bits: bloomParams({ capacity: 20_000, falsePositiveRate: 0.01 }).bits,
      hashes: 1,
    };
    const filter = new LocalBloomFilter({ capacity: 20_000, params });
    for (const d of digests('member', 20_000)) filter.add(d);

    // Act
    const measured = shareReportedPresent(filter, digests('absent', PROBES));

    // Assess
    expect(measured).toBeGreaterThan(0.01 * HIGH);
  });

  it('meets the configured rate with both generations full', () => {
    // Prepare
    const filter = new LocalBloomFilter({ capacity: 20_000, falsePositiveRate: 0.01 });
    for (const d of digests('member', 40_000)) filter.add(d);

    // Act
    const measured = shareReportedPresent(filter, digests('absent', PROBES));

    // Assess
    expect(filter.designFalsePositiveRate()).toBeLessThanOrEqual(0.01 * 1.05);
    expect(measured).toBeGreaterThan(filter.designFalsePositiveRate() * LOW);
    expect(measured).toBeLessThan(filter.designFalsePositiveRate() * HIGH);
  });

  it('bounds its memory and forgets keys two generations old', () => {
    // Prepare
    const capacity = 1000;
    const filter = new LocalBloomFilter({ capacity, falsePositiveRate: 0.01 });
    const memory = filter.memoryBytes;
    const stream = digests('stream', 10 * capacity);

    // Act
    for (const d of stream) filter.add(d);

    // Assess
    expect(filter.memoryBytes).toBe(memory);
    expect(filter.size).toBeLessThanOrEqual(2 * capacity);
    expect(stream.slice(-capacity).every((d) => filter.has(d))).toBe(true);
    // Old keys are now as "present" as never-added ones: a false-positive share, not ~100 %.
    expect(shareReportedPresent(filter, stream.slice(0, capacity))).toBeLessThan(0.05);
  });

  it('counts a key once toward capacity and says whether it was new', () => {
    // Prepare
    const filter = new LocalBloomFilter({ capacity: 100 });
    const key = digestOf('once');

    // Act
    const first = filter.add(key);
    const second = filter.add(key);

    // Assess
    expect(first).toBe(true);
    expect(second).toBe(false);
    expect(filter.size).toBe(1);
  });

  it('keeps a key added just before a rotation and drops it after the next one', () => {
    // Prepare
    const filter = new LocalBloomFilter({ capacity: 100 });
    const key = digestOf('rotated');
    filter.add(key);

    // Act
    filter.rotate();
    const afterOne = filter.has(key);
    filter.rotate();
    const afterTwo = filter.has(key);

    // Assess
    expect(afterOne).toBe(true);
    expect(afterTwo).toBe(false);
    expect(filter.size).toBe(0);
  });

  it('forgets everything on clear', () => {
    // Prepare
    const filter = new LocalBloomFilter({ capacity: 100 });
    const keys = digests('clear', 150);
    for (const d of keys) filter.add(d);

    // Act
    filter.clear();

    // Assess
    expect(keys.some((d) => filter.has(d))).toBe(false);
    expect(filter.size).toBe(0);
    expect(filter.fillRatio()).toBe(0);
  });

  it('reports a fill near 1/2 and an estimated rate near the design rate when full', () => {
    // Prepare
    const filter = new LocalBloomFilter({ capacity: 20_000, falsePositiveRate: 0.01 });
    const empty = filter.estimatedFalsePositiveRate();

    // Act
    for (const d of digests('fill', 40_000)) filter.add(d);

    // Assess: optimal k leaves about half the bits set (1 - e^(-kn/m) with k ≈ m/n·ln 2).
    expect(empty).toBe(0);
    expect(filter.fillRatio()).toBeGreaterThan(0.45);
    expect(filter.fillRatio()).toBeLessThan(0.55);
    expect(filter.estimatedFalsePositiveRate()).toBeGreaterThan(filter.designFalsePositiveRate() * 0.8);
    expect(filter.estimatedFalsePositiveRate()).toBeLessThan(filter.designFalsePositiveRate() * 1.2);
  });

  it('sizes each generation at about half the target rate by default', () => {
    // Act
    const filter = new LocalBloomFilter({ capacity: 1_000_000 });

    // Assess: p = 0.001 overall ⇒ ~0.0005 per generation ⇒ m ≈ 15.8 Mbit, k = 11.
    expect(filter.bits).toBe(
      bloomParams({ capacity: 1_000_000, falsePositiveRate: 1 - (1 - 0.001) ** 0.5 }).bits,
    );
    expect(filter.hashes).toBe(11);
    expect(filter.memoryBytes).toBe(2 * Math.ceil(filter.bits / 32) * 4);
  });

  it.each([
    [{ capacity: 0 }, ConfigurationError],
    [{ capacity: 10, params: { bits: 10, hashes: 3 } }, ConfigurationError],
    [{ capacity: 10_000_000, falsePositiveRate: 1e-6 }, ConfigurationError],
    [{ capacity: 1000, maxBytes: 100 }, ConfigurationError],
  ])('rejects the options %o', (options, error) => {
    expect(() => new LocalBloomFilter(options)).toThrow(error);
  });

  it('rejects a digest that is not 16 bytes', () => {
    // Prepare
    const filter = new LocalBloomFilter({ capacity: 10 });

    // Act / Assess
    expect(() => filter.add(Buffer.from('raw-key'))).toThrow(MskGuardError);
    expect(() => filter.has(new Uint8Array(32))).toThrow(/16-byte/);
  });
});
