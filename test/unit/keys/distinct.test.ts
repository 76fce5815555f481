// Groups equal key digests for in-batch duplicate detection (G1: duplicates inside one batch).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DigestIndex } from '#shared/dedup/in-batch.ts';

/** A slab of `picks.length` digests drawn from `pool` (equal picks = equal digests). */
function slabOf(pool: Uint8Array[], picks: number[]): Buffer {
  const slab = Buffer.allocUnsafeSlow(picks.length * 16);
  picks.forEach((p, i) => {
    slab.set(pool[p % pool.length] as Uint8Array, i * 16);
  });
  return slab;
}

describe('DigestIndex', () => {
  it('gives equal digests one slot and distinct digests distinct slots, in first-seen order', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.uint8Array({ minLength: 16, maxLength: 16 }), {
          minLength: 1,
          maxLength: 40,
          selector: (d) => Buffer.from(d).toString('hex'),
        }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 200 }),
        (pool, picks) => {
          // Prepare
          const slab = slabOf(pool, picks);
          const index = new DigestIndex(slab, picks.length);
          const expected = new Map<string, number>();
          // Act
          const slots = picks.map((_, i) => index.slotOf(i * 16));
          // Assess
          picks.forEach((_, i) => {
            const hex = slab.toString('hex', i * 16, i * 16 + 16);
            if (!expected.has(hex)) expected.set(hex, expected.size);
            expect(slots[i]).toBe(expected.get(hex));
          });
          expect(index.size).toBe(expected.size);
        },
      ),
    );
  });

  it('tells apart digests that share their first word (the table index)', () => {
    // Prepare
    const a = Buffer.alloc(16, 1);
    const b = Buffer.alloc(16, 1);
    b[15] = 2;
    const slab = Buffer.concat([a, b, a, b]);
    const aligned = Buffer.allocUnsafeSlow(slab.length);
    slab.copy(aligned);
    const index = new DigestIndex(aligned, 4);
    // Act
    const slots = [0, 16, 32, 48].map((at) => index.slotOf(at));
    // Assess
    expect(slots).toEqual([0, 1, 0, 1]);
  });

  it('refuses a slab it cannot read as 32-bit words', () => {
    // Prepare
    const unaligned = new Uint8Array(new ArrayBuffer(48), 1, 32);
    // Act / Assess
    expect(DigestIndex.accepts(unaligned)).toBe(false);
    expect(() => new DigestIndex(unaligned, 2)).toThrow(RangeError);
  });
});
