// Supports G1 and G2: the local filter and the Redis Bloom tier must derive the same bits from a
// key, in range and stable across processes, or a completed key would be tested at other bits.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BLOOM_LIMITS } from '#shared/dedup/bloom/params.ts';
import { BLOOM_DIGEST_BYTES, bloomPositions } from '#shared/dedup/bloom/positions.ts';
import { ConfigurationError, MskGuardError } from '#shared/errors.ts';

/** Independent reference: BigInt arithmetic straight from the documented formula. */
function referencePositions(digest: Uint8Array, bits: number, hashes: number): number[] {
  const word = (from: number): bigint =>
    digest.slice(from, from + 6).reduceRight((acc, byte) => (acc << 8n) | BigInt(byte), 0n);
  const h1 = word(0);
  const h2 = word(6);
  return Array.from({ length: hashes }, (_, i) => Number((h1 + BigInt(i) * h2) % BigInt(bits)));
}

const digestArb = fc.uint8Array({ minLength: BLOOM_DIGEST_BYTES, maxLength: BLOOM_DIGEST_BYTES });
const paramsArb = fc.record({
  bits: fc.oneof(
    fc.integer({ min: BLOOM_LIMITS.minBits, max: 100_000 }),
    fc.integer({ min: BLOOM_LIMITS.minBits, max: BLOOM_LIMITS.maxBits }),
    fc.constant(BLOOM_LIMITS.maxBits),
  ),
  hashes: fc.integer({ min: 1, max: BLOOM_LIMITS.maxHashes }),
});

describe('bloomPositions', () => {
  it('matches golden vectors (a change here orphans every bitmap already in Redis)', () => {
    // Prepare: values computed by hand from the formula, h1 = bytes 0-5 and h2 = bytes 6-11, little-endian.
    const counting = Uint8Array.from({ length: 16 }, (_, i) => i);
    const ones = new Uint8Array(16).fill(0xff);

    // Act / Assess
    expect([...bloomPositions(counting, { bits: 1000, hashes: 5 })]).toEqual([40, 566, 92, 618, 144]);
    expect([...bloomPositions(ones, { bits: 2 ** 32, hashes: 4 })]).toEqual([
      4294967295, 4294967294, 4294967293, 4294967292,
    ]);
    expect([...bloomPositions(ones, { bits: 14_377_588, hashes: 4 })]).toEqual([
      4921971, 9843942, 388325, 5310296,
    ]);
  });

  it('equals (h1 + i·h2) mod m computed exactly, for any digest and any valid (m, k)', () => {
    fc.assert(
      fc.property(digestArb, paramsArb, (digest, params) => {
        // Act
        const positions = bloomPositions(digest, params);

        // Assess
        expect([...positions]).toEqual(referencePositions(digest, params.bits, params.hashes));
      }),
      { numRuns: 500 },
    );
  });

  it('returns k integer positions within [0, m)', () => {
    fc.assert(
      fc.property(digestArb, paramsArb, (digest, params) => {
        // Act
        const positions = bloomPositions(digest, params);

        // Assess
        expect(positions).toHaveLength(params.hashes);
        for (const position of positions) {
          expect(Number.isInteger(position)).toBe(true);
          expect(position).toBeGreaterThanOrEqual(0);
          expect(position).toBeLessThan(params.bits);
        }
      }),
    );
  });

  it('is deterministic and writes into the given buffer without touching entries past k', () => {
    fc.assert(
      fc.property(digestArb, paramsArb, (digest, params) => {
        // Prepare
        const out = new Uint32Array(params.hashes + 2).fill(7);

        // Act
        const returned = bloomPositions(digest, params, out);

        // Assess
        expect(returned).toBe(out);
        expect([...out.subarray(0, params.hashes)]).toEqual([...bloomPositions(digest, params)]);
        expect([...out.subarray(params.hashes)]).toEqual([7, 7]);
      }),
    );
  });

  it('spreads a key over k distinct bits for almost every digest', () => {
    // Prepare: a broken derivation (step 0, or one word reused) would give k equal positions.
    const params = { bits: 14_377_588, hashes: 10 };
    const digests = fc.sample(digestArb, { numRuns: 2000, seed: 42 });

    // Act
    const distinct = digests.filter((d) => new Set(bloomPositions(d, params)).size === params.hashes).length;

    // Assess: a repeat needs m | i·h2 for some i < k, chance ≈ k²/m per digest.
    expect(distinct).toBeGreaterThanOrEqual(1990);
  });

  it.each([0, 15, 17, 32])('rejects a %s-byte digest', (length) => {
    expect(() => bloomPositions(new Uint8Array(length), { bits: 1000, hashes: 3 })).toThrow(MskGuardError);
  });

  it('rejects an output buffer shorter than k', () => {
    expect(() => bloomPositions(new Uint8Array(16), { bits: 1000, hashes: 3 }, new Uint32Array(2))).toThrow(
      /k = 3/,
    );
  });

  it('rejects invalid parameters', () => {
    expect(() => bloomPositions(new Uint8Array(16), { bits: 0, hashes: 3 })).toThrow(ConfigurationError);
  });
});
