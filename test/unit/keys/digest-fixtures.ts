// What the key digest tests share: fast-check arbitraries for the inputs of a frame (groups around
// the 64-byte block edges, epochs, key material, topics, keys and values) and the reference digest,
// node:crypto's SHA-256 of the whole frame cut to 16 bytes.
import { createHash } from 'node:crypto';
import fc from 'fast-check';

export const group = fc.stringMatching(/^[a-zA-Z0-9\-/*:_+=.@]{1,40}$/);
export const epoch = fc.nat({ max: Number.MAX_SAFE_INTEGER });
export const bytes = fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b));
export const nullableBytes = fc.option(bytes, { nil: null });
export const topic = fc.stringMatching(/^[a-zA-Z0-9._-]{1,30}$/);

// A group of exactly `size` UTF-8 bytes, ASCII or made of 2-, 3- or 4-byte characters.
const groupOfBytes = (size: number) =>
  fc.tuple(fc.constantFrom('g', 'é', '€', '😀'), fc.nat()).map(([char, n]) => {
    const width = Buffer.byteLength(char);
    const count = n % (Math.floor(size / width) + 1);
    return char.repeat(count) + 'x'.repeat(size - count * width);
  });
// UTF-8 lengths 37, 38, 101 and 102 make the unpadded prefix 64, 65, 128 and 129 bytes.
export const anyGroup = fc.oneof(
  group,
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.constantFrom(36, 37, 38, 100, 101, 102).chain(groupOfBytes),
);
// Tails of 1, 2 and 3 blocks and their edges: a business key is one block up to 50 bytes, two
// up to 114, three up to 178 (beyond, FrameHasher leaves it to node:crypto); 59 fills a block.
export const material = fc
  .oneof(
    fc.uint8Array({ maxLength: 300 }),
    fc
      .constantFrom(0, 50, 51, 55, 56, 59, 60, 64, 114, 115, 123, 124, 178, 179)
      .chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
  )
  .map((b) => Buffer.from(b));
export const field = fc.option(
  fc
    .oneof(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ minLength: 1000, maxLength: 5000 }))
    .map((b) => Buffer.from(b)),
  { nil: null },
);

// The reference: node:crypto over the whole frame, independent of digestFrame.
export const sha256Head = (frame: Uint8Array): Buffer =>
  createHash('sha256').update(frame).digest().subarray(0, 16);
