// Supports G2: the Bloom tier's scripts must test and set exactly the block and mask of each key
// (bloomBlockOf), whatever way its digest is held; a wrong offset would be a silent false negative.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type BloomDigestSource,
  bloomBlockOf,
  encodeBloomSet,
  encodeBloomTest,
  sizeDistributedBloom,
} from '#shared/dedup/distributed-bloom.ts';

const params = sizeDistributedBloom({
  keysPerGeneration: 1_000_000,
  generationMs: 86_400_000,
  generations: 2,
});

describe('encodeBloomTest', () => {
  it("sends each key's block as a BITFIELD offset and its mask as a signed 32-bit integer, in key order", () => {
    // Prepare: digests alone, and digests in place in a slab at odd offsets.
    const slab = randomBytes(16 * 50 + 3);
    const keys: BloomDigestSource[] = [
      ...Array.from({ length: 50 }, () => ({ digest: randomBytes(16) })),
      ...Array.from({ length: 50 }, (_, i) => ({ digest: new Uint8Array(0), slab, at: 3 + 16 * i })),
      { digest: Buffer.from('ffffffffffffffffffffffffffffffff', 'hex') },
    ];

    // Act
    const [offsets, masks] = JSON.parse(encodeBloomTest(keys, params).toString('latin1'));

    // Assess
    const expected = keys.map((k) =>
      bloomBlockOf(k.slab ? k.slab.subarray(k.at!, k.at! + 16) : k.digest, params),
    );
    expect(offsets).toEqual(expected.map((b) => `#${b.block}`));
    expect(masks).toEqual(expected.map((b) => b.mask | 0));
  });

  it('encodes an empty batch as two empty lists', () => {
    expect(JSON.parse(encodeBloomTest([], params).toString())).toEqual([[], []]);
  });
});

describe('encodeBloomSet', () => {
  it('sends one word per distinct block, the masks of the keys sharing it OR-ed, and the bitmap length', () => {
    // Prepare: three keys in one block (bytes 0-3 equal), one elsewhere.
    const inBlock = () => {
      const d = randomBytes(16);
      d.writeUInt32LE(123_456, 0);
      return { digest: d };
    };
    const keys = [inBlock(), { digest: randomBytes(16) }, inBlock(), inBlock()];

    // Act
    const [offsets, words, bytes] = JSON.parse(encodeBloomSet(keys, params).toString());

    // Assess
    const blocks = keys.map((k) => bloomBlockOf(k.digest, params));
    const shared = (blocks[0]!.mask | blocks[2]!.mask | blocks[3]!.mask) >>> 0;
    expect(offsets).toEqual([`#${blocks[0]!.block}`, `#${blocks[1]!.block}`]);
    expect(words).toEqual([String(shared), String(blocks[1]!.mask)]);
    expect(bytes).toBe(params.blocks * 4);
  });
});

describe('the decimal writer and the block merge', () => {
  const digestWithBlockWord = (word: number) => {
    const d = randomBytes(16);
    d.writeUInt32LE(word, 0);
    return { digest: d };
  };

  it('writes offsets of every length, 0 to 4294967294, as JSON would', () => {
    // Prepare: a bitmap of 2^32 - 1 blocks, so the block is the digest's first word itself.
    const wide = { blocks: 0xffff_ffff, k: 7 };
    const words = [
      0, 9, 10, 99, 100, 999, 1000, 65_535, 999_999_999, 1_000_000_000, 2_147_483_648, 0xffff_fffe,
    ];
    const keys = words.map(digestWithBlockWord);

    // Act
    const [offsets, masks] = JSON.parse(encodeBloomTest(keys, wide).toString());

    // Assess
    expect(offsets).toEqual(words.map((w) => `#${w}`));
    expect(masks).toEqual(keys.map((k) => bloomBlockOf(k.digest, wide).mask | 0));
  });

  it('merges thousands of keys into 64 blocks, each once, in first-seen order', () => {
    // Prepare: far more keys than blocks, so nearly every key shares its block.
    const small = { blocks: 64, k: 5 };
    const keys = Array.from({ length: 5_000 }, () => ({ digest: randomBytes(16) }));
    const merged = new Map<number, number>();
    for (const k of keys) {
      const { block, mask } = bloomBlockOf(k.digest, small);
      merged.set(block, ((merged.get(block) ?? 0) | mask) >>> 0);
    }

    // Act
    const [offsets, words] = JSON.parse(encodeBloomSet(keys, small).toString());

    // Assess
    expect(offsets).toEqual([...merged.keys()].map((b) => `#${b}`));
    expect(words).toEqual([...merged.values()].map(String));
  });
});
