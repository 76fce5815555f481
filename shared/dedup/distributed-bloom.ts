import { ConfigurationError } from '../errors.ts';

/**
 * The distributed Bloom tier is register-blocked: all k bits of a key fall in one 32-bit word of
 * a generation bitmap, so testing or setting a key is one BITFIELD sub-operation inside the Lua
 * scripts instead of k GETBIT/SETBIT commands (design §4: commands per key are what costs).
 * The price is a higher false-positive rate than a classic Bloom filter of the same size
 * (see {@link blockedFalsePositiveRate}); the tier only ever yields PROBABLE, never a drop in
 * exact mode, so that trade is the right one.
 */
export interface DistributedBloomParams {
  /** Number of 32-bit blocks per generation bitmap (bitmap bytes = 4 × blocks). */
  readonly blocks: number;
  /** Bits set per key inside its block. */
  readonly k: number;
  /** Length of one generation, ms. Bitmaps rotate by Redis server time. */
  readonly generationMs: number;
  /** Generations tested by claim (the horizon is about `generations × generationMs`). */
  readonly generations: number;
}

/** A key's place in the distributed tier: its block and the bits it sets there. */
export interface BloomBlock {
  readonly block: number;
  readonly mask: number;
}

/** Expected false-positive rate of a register-blocked filter (32-bit blocks, Poisson block load). */
export function blockedFalsePositiveRate(bitsPerKey: number, k: number): number {
  const lambda = 32 / bitsPerKey;
  let p = 0;
  let poisson = Math.exp(-lambda);
  for (let j = 0; j < 200; j++) {
    if (j > 0) poisson *= lambda / j;
    p += poisson * (1 - (1 - 1 / 32) ** (k * j)) ** k;
  }
  return p;
}

/**
 * Sizes a generation bitmap for an expected number of completed keys per generation.
 *
 * @example
 * ```ts
 * // ~1 M keys a day, one-day generations, a week of horizon, 1.2 bytes per key:
 * const params = sizeDistributedBloom({ keysPerGeneration: 1_000_000, generationMs: 86_400_000, generations: 7 });
 * ```
 */
export function sizeDistributedBloom(options: {
  keysPerGeneration: number;
  generationMs: number;
  generations: number;
  /** @default 1.2 */
  bytesPerKey?: number;
}): DistributedBloomParams & { falsePositiveRate: number } {
  const { keysPerGeneration, generationMs, generations } = options;
  const bytesPerKey = options.bytesPerKey ?? 1.2;
  if (!(keysPerGeneration >= 1) || !Number.isFinite(keysPerGeneration)) {
    throw new ConfigurationError(
      `bloom.keysPerGeneration must be a positive number, got ${keysPerGeneration}`,
    );
  }
  if (!Number.isInteger(generationMs) || generationMs < 60_000) {
    throw new ConfigurationError(
      `bloom.generationMs must be a whole number of ms >= 60000, got ${generationMs}`,
    );
  }
  if (!Number.isInteger(generations) || generations < 1 || generations > 32) {
    throw new ConfigurationError(`bloom.generations must be an integer in [1, 32], got ${generations}`);
  }
  if (!(bytesPerKey >= 0.25 && bytesPerKey <= 16)) {
    throw new ConfigurationError(`bloom.bytesPerKey must be in [0.25, 16], got ${bytesPerKey}`);
  }
  const bitsPerKey = bytesPerKey * 8;
  // A bitmap is one Redis string: at most 512 MB, so at most 2^27 blocks.
  const blocks = Math.min(2 ** 27, Math.max(64, Math.ceil((keysPerGeneration * bitsPerKey) / 32)));
  let k = 1;
  for (let candidate = 2; candidate <= 12; candidate++) {
    if (blockedFalsePositiveRate(bitsPerKey, candidate) < blockedFalsePositiveRate(bitsPerKey, k))
      k = candidate;
  }
  return { blocks, k, generationMs, generations, falsePositiveRate: blockedFalsePositiveRate(bitsPerKey, k) };
}

/**
 * The block and mask of a key from its 16-byte digest (already uniformly distributed, so no
 * further hashing): bytes 0–3 pick the block, then 5-bit fields of bytes 4–15 pick k distinct
 * bits of it. Deterministic: the same digest always sets and tests the same bits.
 */
export function bloomBlockOf(
  digest: Uint8Array,
  params: Pick<DistributedBloomParams, 'blocks' | 'k'>,
): BloomBlock {
  const block =
    ((digest[0] as number) |
      ((digest[1] as number) << 8) |
      ((digest[2] as number) << 16) |
      ((digest[3] as number) << 24)) >>>
    0;
  let mask = 0;
  let bits = 0;
  // 96 bits in bytes 4..15 give 19 five-bit fields; k <= 12 distinct picks almost always fit. If
  // they do not (astronomically rare), the mask simply has fewer bits: still no false negative.
  for (let field = 0; field < 19 && bits < params.k; field++) {
    const bitOffset = 32 + field * 5;
    const byte = bitOffset >> 3;
    const word = (digest[byte] as number) | ((digest[byte + 1] as number) << 8);
    const bit = (word >> (bitOffset & 7)) & 31;
    if ((mask & (1 << bit)) === 0) {
      mask |= 1 << bit;
      bits++;
    }
  }
  return { block: block % params.blocks, mask: mask >>> 0 };
}

/** Encodes blocks as the scripts read them: 8 hex digits of block, 8 of mask, per key. */
export function encodeBloomBlocks(blocks: readonly BloomBlock[]): string {
  let out = '';
  for (const { block, mask } of blocks) {
    out += block.toString(16).padStart(8, '0') + mask.toString(16).padStart(8, '0');
  }
  return out;
}
