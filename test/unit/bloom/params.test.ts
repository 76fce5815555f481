// Supports G2 (a Bloom signal is only as good as its sizing) and the time rule of design §4:
// generations are named from the clock but expire by a relative TTL. No guarantee is proved alone.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  activeGenerations,
  assertBloomParams,
  BLOOM_LIMITS,
  bloomParams,
  expectedFalsePositiveRate,
  generationFor,
  generationSizing,
  generationTtlMs,
  perFilterFalsePositiveRate,
} from '#shared/dedup/bloom/params.ts';
import { ConfigurationError, MskGuardError } from '#shared/errors.ts';

describe('bloomParams', () => {
  it.each([
    // Published values (m = ceil(-n ln p / ln²2), k = round(m/n ln 2)), e.g. 9.59 bits/key at 1 %.
    { n: 1_000_000, p: 0.01, bits: 9_585_059, hashes: 7 },
    { n: 1_000_000, p: 0.001, bits: 14_377_588, hashes: 10 },
    { n: 1_000, p: 0.01, bits: 9_586, hashes: 7 },
  ])('sizes n=$n p=$p as m=$bits k=$hashes', ({ n, p, bits, hashes }) => {
    // Act
    const sizing = bloomParams({ capacity: n, falsePositiveRate: p });

    // Assess
    expect(sizing).toMatchObject({ bits, hashes, capacity: n, falsePositiveRate: p });
    expect(sizing.bytes).toBe(Math.ceil(bits / 8));
    expect(sizing.expectedFalsePositiveRate).toBeGreaterThan(p * 0.95);
    expect(sizing.expectedFalsePositiveRate).toBeLessThan(p * 1.05);
  });

  it('keeps the expected false-positive rate at the target for any valid n and p', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50_000_000 }),
        fc.double({ min: 1e-6, max: 0.2, noNaN: true }),
        (n, p) => {
          // Act
          const sizing = bloomParams({ capacity: n, falsePositiveRate: p });

          // Assess: ceil(m) can only lower the rate; rounding k to an integer costs a few percent at most.
          expect(expectedFalsePositiveRate(sizing, n)).toBeLessThanOrEqual(p * 1.05);
          expect(sizing.hashes).toBeGreaterThanOrEqual(1);
          expect(sizing.hashes).toBeLessThanOrEqual(BLOOM_LIMITS.maxHashes);
        },
      ),
    );
  });

  it('clamps tiny filters to the minimum size and the hash count to its maximum', () => {
    // Act
    const sizing = bloomParams({ capacity: 1, falsePositiveRate: 0.5 });

    // Assess
    expect(sizing.bits).toBe(BLOOM_LIMITS.minBits);
    expect(sizing.hashes).toBe(BLOOM_LIMITS.maxHashes);
  });

  it.each([
    { capacity: 0, falsePositiveRate: 0.01 },
    { capacity: 1.5, falsePositiveRate: 0.01 },
    { capacity: Number.NaN, falsePositiveRate: 0.01 },
    { capacity: 1000, falsePositiveRate: 0 },
    { capacity: 1000, falsePositiveRate: 1 },
    { capacity: 1000, falsePositiveRate: 0.6 },
    { capacity: 1000, falsePositiveRate: 1e-10 },
    { capacity: 1000, falsePositiveRate: Number.NaN },
  ])('rejects capacity=$capacity falsePositiveRate=$falsePositiveRate', (options) => {
    // Act / Assess
    expect(() => bloomParams(options)).toThrow(ConfigurationError);
  });

  it('rejects a filter that would not fit a Redis bitmap, naming the limit', () => {
    // Act / Assess
    expect(() => bloomParams({ capacity: 2 ** 31, falsePositiveRate: 1e-6 })).toThrow(/2\^32/);
  });
});

describe('expectedFalsePositiveRate', () => {
  it('is (1 - e^(-kn/m))^k and grows with the number of items', () => {
    // Prepare
    const params = { bits: 1000, hashes: 3 };

    // Act
    const rates = [0, 100, 200].map((n) => expectedFalsePositiveRate(params, n));

    // Assess
    expect(rates[0]).toBe(0);
    expect(rates[1]).toBeCloseTo((1 - Math.exp(-0.3)) ** 3, 12);
    expect(rates[2]).toBeGreaterThan(rates[1]!);
  });

  it('rejects a negative item count', () => {
    expect(() => expectedFalsePositiveRate({ bits: 1000, hashes: 3 }, -1)).toThrow(ConfigurationError);
  });
});

describe('assertBloomParams', () => {
  it.each([
    { bits: 63, hashes: 3 },
    { bits: 2 ** 32 + 1, hashes: 3 },
    { bits: 1000.5, hashes: 3 },
    { bits: 1000, hashes: 0 },
    { bits: 1000, hashes: 33 },
  ])('rejects bits=$bits hashes=$hashes', (params) => {
    expect(() => assertBloomParams(params)).toThrow(ConfigurationError);
  });

  it('accepts the bounds themselves', () => {
    expect(() => assertBloomParams({ bits: 2 ** 32, hashes: 32 })).not.toThrow();
    expect(() => assertBloomParams({ bits: 64, hashes: 1 })).not.toThrow();
  });
});

describe('perFilterFalsePositiveRate', () => {
  it('splits a target so that a lookup across g filters meets it exactly', () => {
    // Act
    const perFilter = perFilterFalsePositiveRate(0.001, 2);

    // Assess
    expect(1 - (1 - perFilter) ** 2).toBeCloseTo(0.001, 15);
    expect(perFilter).toBeGreaterThan(0.0005);
    expect(perFilter).toBeLessThan(0.0005003);
  });
});

describe('generationFor / activeGenerations', () => {
  const hour = 3_600_000;

  it('names the time bucket the clock falls in', () => {
    expect(generationFor(7_200_000, hour)).toBe(2);
    expect(generationFor(7_199_999, hour)).toBe(1);
    expect(generationFor(0, hour)).toBe(0);
  });

  it('puts every instant inside the bucket it names', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 45 }),
        fc.integer({ min: 1, max: 2 ** 32 }),
        (now, length) => {
          // Act
          const generation = generationFor(now, length);

          // Assess
          expect(generation * length).toBeLessThanOrEqual(now);
          expect((generation + 1) * length).toBeGreaterThan(now);
        },
      ),
    );
  });

  it('lists the active generations newest first', () => {
    expect(activeGenerations(7_200_000, hour, 3)).toEqual([2, 1, 0]);
    expect(activeGenerations(10 * hour + 5, hour, 1)).toEqual([10]);
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects generationMs=%s as configuration', (length) => {
    expect(() => generationFor(1000, length)).toThrow(ConfigurationError);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('rejects the clock value %s', (now) => {
    expect(() => generationFor(now, hour)).toThrow(MskGuardError);
  });

  it.each([0, 65, 2.5])('rejects a generation count of %s', (count) => {
    expect(() => activeGenerations(0, hour, count)).toThrow(ConfigurationError);
  });
});

describe('generationTtlMs / generationSizing', () => {
  it('keeps a bitmap one generation longer than it is read, for clock skew', () => {
    expect(generationTtlMs(3_600_000, 24)).toBe(25 * 3_600_000);
  });

  it('sizes each bitmap for keysPerSecond × generation length at the split rate', () => {
    // Act
    const sizing = generationSizing({
      keysPerSecond: 500,
      generationMs: 3_600_000,
      generations: 24,
      falsePositiveRate: 0.01,
    });

    // Assess
    expect(sizing.bitmap.capacity).toBe(1_800_000);
    expect(sizing.bitmap.falsePositiveRate).toBeCloseTo(perFilterFalsePositiveRate(0.01, 24), 15);
    expect(sizing.expectedFalsePositiveRate).toBeLessThanOrEqual(0.01 * 1.05);
    expect(sizing.ttlMs).toBe(90_000_000);
    expect(sizing.horizonMs).toBe(23 * 3_600_000);
    expect(sizing.totalBytes).toBe(25 * sizing.bitmap.bytes);
  });

  it('rejects a non-positive key rate', () => {
    expect(() =>
      generationSizing({ keysPerSecond: 0, generationMs: 1000, generations: 2, falsePositiveRate: 0.01 }),
    ).toThrow(ConfigurationError);
  });
});
