import { ConfigurationError } from '../errors.ts';
import { writeBloomJson } from './bloom/json-args.ts';
import type { BloomCopiesOptions } from './bloom/snapshots.ts';

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
  /**
   * How claims test keys: against copies of the generations in the container (decision 0020), or
   * `false`: inside the claim script, one BITFIELD sub-command per key. @default copies, re-read
   * every dedup window less 16 min, where the cache returns binary replies (RESP) and the
   * generations take at most 32 MiB
   */
  readonly copies?: false | BloomCopiesOptions;
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

/** One Redis string is at most 512 MB: 2^27 blocks of 4 bytes. */
const MAX_BLOCKS_PER_BITMAP = 2 ** 27;

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
  /**
   * Cache shards the group's keys spread over (mskGuard's `cacheShards`): each holds its share of
   * the blocks in its own bitmap, so the 512 MB limit of one Redis string applies per shard.
   * @default 1
   */
  shards?: number;
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
  const shards = options.shards ?? 1;
  const blocks = Math.max(64, Math.ceil((keysPerGeneration * bitsPerKey) / 32));
  // A bitmap is one Redis string: at most 512 MB (2^27 blocks) per shard. Capping it instead would
  // raise the false-positive rate without a word (more ProbableDuplicate, or more quarantine).
  if (blocks > shards * MAX_BLOCKS_PER_BITMAP) {
    const mb = Math.ceil((blocks * 4) / shards / 2 ** 20);
    throw new ConfigurationError(
      `bloom: ${keysPerGeneration} keys per generation at ${bytesPerKey} bytes per key need a ${mb} MB bitmap per shard; ` +
        `one Redis string holds at most 512 MB. Shorten generationMs (fewer keys per generation), lower bytesPerKey, ` +
        `or spread the group over more cacheShards (docs/capacity.md).`,
    );
  }
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
  const mask = maskAt(digest, 0, params.k);
  return { block: blockAt(digest, 0, params.blocks), mask: mask >>> 0 };
}

/** The block of the digest at `at` (bytes 0–3, little-endian, modulo the bitmap's blocks). */
export function blockAt(d: Uint8Array, at: number, blocks: number): number {
  const word = (d[at]! | (d[at + 1]! << 8) | (d[at + 2]! << 16) | (d[at + 3]! << 24)) >>> 0;
  return word % blocks;
}

/** The mask of the digest at `at`, as a signed 32-bit integer (Lua's `bit` library reads it so). */
export function maskAt(d: Uint8Array, at: number, k: number): number {
  let mask = 0;
  let bits = 0;
  // 96 bits in bytes 4..15 give 19 five-bit fields; k <= 12 distinct picks almost always fit. If
  // they do not (astronomically rare), the mask simply has fewer bits: still no false negative.
  for (let field = 0; field < 19 && bits < k; field++) {
    const bitOffset = 32 + field * 5;
    const byte = at + (bitOffset >> 3);
    const word = d[byte]! | (d[byte + 1]! << 8);
    const bit = (word >> (bitOffset & 7)) & 31;
    if ((mask & (1 << bit)) === 0) {
      mask |= 1 << bit;
      bits++;
    }
  }
  return mask;
}

/** Where a key's digest is: in place in its batch's slab when it has one (no view per key). */
export interface BloomDigestSource {
  readonly digest: Uint8Array;
  readonly slab?: Uint8Array;
  readonly at?: number;
}

/**
 * The claim's Bloom argument, ready for BITFIELD: JSON `[["#<block>", ...], [<mask>, ...]]` in
 * key order, masks as signed 32-bit integers. The script decodes it with `cjson` (C) and passes the
 * `#<block>` strings to BITFIELD as they are: no hex parsing and no string building per key in Lua.
 */
export function encodeBloomTest(
  keys: readonly BloomDigestSource[],
  params: Pick<DistributedBloomParams, 'blocks' | 'k'>,
): Buffer {
  const n = keys.length;
  const blocks = new Uint32Array(n);
  const masks = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const key = keys[i]!;
    const d = key.slab ?? key.digest;
    const at = key.slab === undefined ? 0 : (key.at ?? 0);
    blocks[i] = blockAt(d, at, params.blocks);
    masks[i] = maskAt(d, at, params.k);
  }
  return writeBloomJson(blocks, masks, n, false);
}

/**
 * The complete's Bloom argument: JSON `[["#<block>", ...], ["<word>", ...], <bitmap bytes>]`, one
 * entry per distinct block with the masks of the keys sharing it OR-ed together (BITFIELD SET on
 * the script's empty scratch bitmap overwrites, so a block must come once).
 */
export function encodeBloomSet(
  keys: readonly BloomDigestSource[],
  params: Pick<DistributedBloomParams, 'blocks' | 'k'>,
): Buffer {
  const { blocks, words, distinct } = mergeBlocks(keys, params);
  return writeBloomJson(blocks, words, distinct, true, params.blocks * 4);
}

/**
 * The completed keys' blocks, one per distinct block, with the masks of the keys sharing it OR-ed
 * into one word. Merged in an open-addressing table (a Map cost 3 ms per 10,000 keys on the bench
 * host; this is a tenth of that and allocates two typed arrays).
 */
export function mergeBlocks(
  keys: readonly BloomDigestSource[],
  params: Pick<DistributedBloomParams, 'blocks' | 'k'>,
): { blocks: Uint32Array; words: Int32Array; distinct: number } {
  const size = 2 ** Math.ceil(Math.log2(keys.length * 2 + 2));
  const slots = new Int32Array(size).fill(-1);
  const blocks = new Uint32Array(keys.length);
  const words = new Int32Array(keys.length);
  let distinct = 0;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const d = key.slab ?? key.digest;
    const at = key.slab === undefined ? 0 : (key.at ?? 0);
    const block = blockAt(d, at, params.blocks);
    const mask = maskAt(d, at, params.k);
    let slot = Math.imul(block, 0x9e3779b1) & (size - 1);
    for (;;) {
      const entry = slots[slot]!;
      if (entry === -1) {
        slots[slot] = distinct;
        blocks[distinct] = block;
        words[distinct++] = mask;
        break;
      }
      if (blocks[entry] === block) {
        words[entry]! |= mask;
        break;
      }
      slot = (slot + 1) & (size - 1);
    }
  }
  return { blocks, words, distinct };
}
