/**
 * The in-container Bloom filter of keys completed by this Lambda container (design §4.3):
 * the fallback when Redis is unreachable and the zero-round-trip fast path of probabilistic
 * mode. Two fixed-size generations bound its memory; old keys age out as new ones arrive.
 */
import { ConfigurationError, MskGuardError } from '../../errors.ts';
import {
  assertBloomParams,
  type BloomParams,
  bloomParams,
  expectedFalsePositiveRate,
  perFilterFalsePositiveRate,
} from './params.ts';
import { BLOOM_DIGEST_BYTES, writeBloomPositions } from './positions.ts';

/** Options of {@link LocalBloomFilter}. */
export interface LocalBloomFilterOptions {
  /** Distinct keys a generation takes before the filter rotates (n). */
  readonly capacity: number;
  /**
   * False-positive rate of `has` with both generations full. Each generation is sized at
   * about half of it, because `has` answers "maybe" when either generation does.
   * Ignored when `params` is given.
   * @default 0.001
   */
  readonly falsePositiveRate?: number;
  /** Explicit (m, k) per generation, for benchmarks and tests. @default sized from capacity and falsePositiveRate */
  readonly params?: BloomParams;
  /** Refuse configurations whose two generations would need more memory than this. @default 64 MiB */
  readonly maxBytes?: number;
}

const DEFAULT_FALSE_POSITIVE_RATE = 0.001;
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/** Set bits of a 32-bit word (SWAR popcount). */
function popcount32(word: number): number {
  let v = word - ((word >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

function setBitCount(words: Uint32Array): number {
  let count = 0;
  for (let i = 0; i < words.length; i++) count += popcount32(words[i]!);
  return count;
}

/**
 * A Bloom filter over 16-byte key digests, in two generations of m bits each (current and
 * previous). `add` writes the current generation; when it holds `capacity` distinct keys the
 * filter rotates: previous is dropped, current becomes previous, a cleared bitmap becomes
 * current. So memory is fixed at construction (2 × ceil(m/32) words), a key stays known for at
 * least `capacity` later additions, and `has` never misses a key added since then.
 * Positions come from {@link bloomPositions}, the same function the Redis tier uses.
 *
 * @example
 * ```ts
 * const seen = new LocalBloomFilter({ capacity: 200_000, falsePositiveRate: 0.001 });
 * seen.add(digest);            // after the handler succeeded
 * if (seen.has(digest)) { ... } // probably completed here before; never false for a recent key
 * ```
 */
export class LocalBloomFilter {
  readonly #bits: number;
  readonly #hashes: number;
  readonly #capacity: number;
  readonly #positions: Uint32Array;
  #current: Uint32Array;
  #previous: Uint32Array;
  #currentCount = 0;
  #previousCount = 0;

  public constructor(options: LocalBloomFilterOptions) {
    const { capacity, maxBytes = DEFAULT_MAX_BYTES } = options;
    const params = options.params ?? LocalBloomFilter.#sizeFor(options);
    assertBloomParams(params);
    if (!(Number.isInteger(capacity) && capacity >= 1)) {
      throw new ConfigurationError(
        `Invalid local Bloom filter capacity ${capacity}: expected an integer ≥ 1.`,
      );
    }
    const words = Math.ceil(params.bits / 32);
    if (2 * words * 4 > maxBytes) {
      throw new ConfigurationError(
        `A local Bloom filter of 2 × ${params.bits} bits needs ${2 * words * 4} bytes, above maxBytes ` +
          `${maxBytes}. Lower capacity, raise falsePositiveRate, or raise maxBytes if the function has the memory.`,
      );
    }
    this.#bits = params.bits;
    this.#hashes = params.hashes;
    this.#capacity = capacity;
    this.#positions = new Uint32Array(params.hashes);
    this.#current = new Uint32Array(words);
    this.#previous = new Uint32Array(words);
  }

  static #sizeFor(options: LocalBloomFilterOptions): BloomParams {
    const p = options.falsePositiveRate ?? DEFAULT_FALSE_POSITIVE_RATE;
    return bloomParams({ capacity: options.capacity, falsePositiveRate: perFilterFalsePositiveRate(p, 2) });
  }

  /** m: bits per generation. */
  public get bits(): number {
    return this.#bits;
  }

  /** k: bit positions per key. */
  public get hashes(): number {
    return this.#hashes;
  }

  /** Distinct keys per generation before a rotation. */
  public get capacity(): number {
    return this.#capacity;
  }

  /** Keys held: those added to the current and the previous generation (at most 2 × capacity). */
  public get size(): number {
    return this.#currentCount + this.#previousCount;
  }

  /** Bytes of the two bitmaps; constant for the filter's life. */
  public get memoryBytes(): number {
    return this.#current.byteLength + this.#previous.byteLength;
  }

  #positionsOf(digest: Uint8Array, at: number, exact: boolean): Uint32Array {
    if (
      exact ? digest.length !== BLOOM_DIGEST_BYTES : !(at >= 0 && at + BLOOM_DIGEST_BYTES <= digest.length)
    ) {
      throw new MskGuardError(
        exact
          ? `LocalBloomFilter needs ${BLOOM_DIGEST_BYTES}-byte key digests, got ${digest.length} bytes.`
          : `No ${BLOOM_DIGEST_BYTES}-byte digest at ${at} in ${digest.length} bytes.`,
      );
    }
    writeBloomPositions(digest, this.#bits, this.#hashes, this.#positions, at);
    return this.#positions;
  }

  /** {@link LocalBloomFilter.add} of the 16-byte digest at `at` in `digests` (a batch's digests packed back to back). */
  public addAt(digests: Uint8Array, at: number): boolean {
    return this.#add(this.#positionsOf(digests, at, false));
  }

  /** {@link LocalBloomFilter.has} of the 16-byte digest at `at` in `digests`. */
  public hasAt(digests: Uint8Array, at: number): boolean {
    return this.#has(this.#positionsOf(digests, at, false));
  }

  /**
   * Records `digest`. Returns true when the current generation did not already (probably)
   * hold it, i.e. at least one of its bits was clear. Only such additions count toward
   * `capacity`, so re-adding a key does not hasten rotation.
   */
  public add(digest: Uint8Array): boolean {
    return this.#add(this.#positionsOf(digest, 0, true));
  }

  #add(positions: Uint32Array): boolean {
    if (this.#currentCount >= this.#capacity) this.rotate();
    const words = this.#current;
    let changed = false;
    for (let i = 0; i < this.#hashes; i++) {
      const position = positions[i]!;
      const index = position >>> 5;
      const mask = 1 << (position & 31);
      const word = words[index]!;
      if ((word & mask) === 0) {
        words[index] = word | mask;
        changed = true;
      }
    }
    if (changed) this.#currentCount++;
    return changed;
  }

  /** False when `digest` was certainly not added since the last-but-one rotation; true means "probably". */
  public has(digest: Uint8Array): boolean {
    return this.#has(this.#positionsOf(digest, 0, true));
  }

  #has(positions: Uint32Array): boolean {
    return (
      LocalBloomFilter.#allSet(this.#current, positions, this.#hashes) ||
      (this.#previousCount > 0 && LocalBloomFilter.#allSet(this.#previous, positions, this.#hashes))
    );
  }

  static #allSet(words: Uint32Array, positions: Uint32Array, hashes: number): boolean {
    for (let i = 0; i < hashes; i++) {
      const position = positions[i]!;
      if ((words[position >>> 5]! & (1 << (position & 31))) === 0) return false;
    }
    return true;
  }

  /**
   * Forgets the previous generation and starts an empty current one. Called by `add` when the
   * current generation is full; call it yourself to age keys out by time. O(m / 32).
   */
  public rotate(): void {
    const dropped = this.#previous;
    this.#previous = this.#current;
    this.#previousCount = this.#currentCount;
    dropped.fill(0);
    this.#current = dropped;
    this.#currentCount = 0;
  }

  /** Forgets every key. */
  public clear(): void {
    this.#current.fill(0);
    this.#previous.fill(0);
    this.#currentCount = 0;
    this.#previousCount = 0;
  }

  /** Share of set bits in the current generation, counted (O(m / 32), not for the hot path). */
  public fillRatio(): number {
    return setBitCount(this.#current) / this.#bits;
  }

  /**
   * False-positive rate of `has` right now, from the measured fill of both generations:
   * 1 - (1 - fill_current^k)(1 - fill_previous^k). O(m / 32).
   */
  public estimatedFalsePositiveRate(): number {
    const k = this.#hashes;
    const current = this.fillRatio() ** k;
    const previous = (setBitCount(this.#previous) / this.#bits) ** k;
    return 1 - (1 - current) * (1 - previous);
  }

  /** False-positive rate the filter is built for: both generations holding `capacity` keys. */
  public designFalsePositiveRate(): number {
    const perGeneration = expectedFalsePositiveRate(
      { bits: this.#bits, hashes: this.#hashes },
      this.#capacity,
    );
    return 1 - (1 - perGeneration) ** 2;
  }
}
