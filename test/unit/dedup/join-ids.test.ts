// The ids the claim and complete scripts receive must be exactly the keys' ids (G1: a key is
// recognised as the same key on every delivery).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TierKey } from '#shared/dedup/exact.ts';
import { joinIds } from '#shared/dedup/ids.ts';

function inPlace(slab: Buffer, at: number): TierKey {
  return { id: slab.toString('base64url', at, at + 16), digest: slab.subarray(at, at + 16), slab, at };
}

describe('joinIds', () => {
  it('encodes digests in place exactly as base64url ids, in order', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 16, maxLength: 16 }), { maxLength: 50 }), (digests) => {
        // Prepare
        const slab = Buffer.concat([Buffer.alloc(3), ...digests.map((d) => Buffer.from(d))]);
        const keys = digests.map((_, i) => inPlace(slab, 3 + i * 16));
        // Act
        const joined = joinIds(keys);
        // Assess
        expect(joined.toString('latin1')).toBe(
          digests.map((d) => Buffer.from(d).toString('base64url')).join(''),
        );
      }),
    );
  });

  it('mixes keys with and without a slab', () => {
    // Prepare
    const slab = Buffer.from('00ff10203040506070808090a0b0c0d0e0f1', 'hex');
    const withSlab = inPlace(slab, 2);
    const plain: TierKey = { id: 'A'.repeat(22), digest: Buffer.alloc(16) };
    // Act
    const joined = joinIds([plain, withSlab, plain]);
    // Assess
    expect(joined.toString('latin1')).toBe(
      `${'A'.repeat(22)}${slab.toString('base64url', 2, 18)}${'A'.repeat(22)}`,
    );
  });

  it.each([
    ['not 22 characters', 'short'],
    ['not base64url (REST would send a two-byte character, RESP one byte)', `${'A'.repeat(21)}é`],
  ])('refuses an id that is %s', (_, id) => {
    // Act / Assess
    expect(() => joinIds([{ id, digest: Buffer.alloc(16) }])).toThrow(TypeError);
  });
});
