// The SHA-256 behind key digests (G1, G2: a key's identity is its digest): our TypeScript
// SHA-256 resumed from a prefix midstate equals node:crypto's for every input shape.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PrefixedSha256 } from '#shared/keys/sha256.ts';

describe('PrefixedSha256', () => {
  const digest = (prefix: Uint8Array, ...chunks: Uint8Array[]): string => {
    const hash = new PrefixedSha256(prefix);
    const out = Buffer.alloc(32);
    hash.begin();
    for (const chunk of chunks) hash.bytes(chunk);
    hash.digestInto(out, 0, 32);
    return out.toString('hex');
  };

  it('gives the FIPS 180-2 example digests', () => {
    // Prepare
    const twoBlocks = 'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq';

    // Act
    const empty = digest(Buffer.alloc(0));
    const abc = digest(Buffer.alloc(0), Buffer.from('abc'));
    const long = digest(Buffer.alloc(0), Buffer.from(twoBlocks.slice(0, 5)), Buffer.from(twoBlocks.slice(5)));

    // Assess
    expect(empty).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(abc).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(long).toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  });

  it('continues from the midstate of its prefix: one million "a", 64 of them as the prefix', () => {
    // Prepare: uneven chunks cross block edges in every way.
    const a = (n: number) => Buffer.alloc(n, 'a');
    const chunks = [a(1), a(62), a(64), a(65), a(1000), a(999_000 - 64 - 1 - 62 - 64 - 65 - 1000)];

    // Act
    const hex = digest(a(64), ...chunks, a(1000));

    // Assess
    expect(hex).toBe('cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
  });

  it('equals node:crypto for any block-aligned prefix and any split of the rest', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 0, max: 3 })
          .chain((blocks) => fc.uint8Array({ minLength: 64 * blocks, maxLength: 64 * blocks })),
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 6 }),
        (prefix, chunks) => {
          // Prepare
          const expected = createHash('sha256').update(prefix);
          for (const chunk of chunks) expected.update(chunk);

          // Act
          const hex = digest(prefix, ...chunks);

          // Assess
          expect(hex).toBe(expected.digest('hex'));
        },
      ),
    );
  });

  it('mixes bytes, byte and u32 pushes at every alignment, up to and across block edges', () => {
    // Prepare
    const prefix = Buffer.alloc(64, 9);
    const hash = new PrefixedSha256(prefix);
    const out = Buffer.alloc(32);
    const tail = Buffer.alloc(70, 3);
    const failures: string[] = [];

    // Act
    for (let first = 0; first < 64; first++) {
      for (const extra of [0, 1, 63, 64, 65, 128]) {
        const a = Buffer.alloc(first, 1);
        const b = Buffer.alloc(((64 - first) % 64) + extra, 2);
        hash.begin();
        hash.bytes(a);
        hash.bytes(b);
        hash.byte(0xab);
        hash.u32(0x01020304);
        hash.bytes(tail);
        hash.digestInto(out, 0, 32);
        const expected = createHash('sha256')
          .update(Buffer.concat([prefix, a, b, Buffer.from([0xab, 1, 2, 3, 4]), tail]))
          .digest();
        if (!out.equals(expected)) failures.push(`${first}+${b.length}`);
      }
    }

    // Assess
    expect(failures).toEqual([]);
  });

  it('refuses a prefix that is not whole 64-byte blocks', () => {
    // Act
    const create = () => new PrefixedSha256(Buffer.alloc(65));

    // Assess
    expect(create).toThrow(/whole 64-byte blocks, got 65 bytes/);
  });
});
