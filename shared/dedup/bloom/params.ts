/**
 * Bloom filter sizing (bits m, hash count k) and the time-bucketed generations of the
 * distributed tier. Pure math: no I/O, no clock reads — callers pass `nowMs`.
 */
import { ConfigurationError, MskGuardError } from '../../errors.ts';

/**
 * Shape of one Bloom filter: `bits` is m (the bitmap length), `hashes` is k (bits per key).
 *
 * @example
 * ```ts
 * const params: BloomParams = { bits: 9_585_059, hashes: 7 };
 * ```
 */
export interface BloomParams {
  /** m: number of bits of the filter, in [{@link BLOOM_LIMITS}.minBits, maxBits]. */
  readonly bits: number;
  /** k: bit positions per key, in [1, {@link BLOOM_LIMITS}.maxHashes]. */
  readonly hashes: number;
}

/** {@link BloomParams} with the inputs they were derived from and what they cost. */
export interface BloomSizing extends BloomParams {
  /** n: the number of distinct keys the filter was sized for. */
  readonly capacity: number;
  /** p: the false-positive rate asked for at `capacity` keys. */
  readonly falsePositiveRate: number;
  /** The false-positive rate the rounded (m, k) actually give at `capacity` keys; ≤ p up to rounding of k. */
  readonly expectedFalsePositiveRate: number;
  /** Bytes of one bitmap: ceil(m / 8). */
  readonly bytes: number;
}

/**
 * Bounds on Bloom parameters. `maxBits` is 2^32 because a Redis bitmap cannot be longer
 * (SETBIT/BITFIELD offsets are < 2^32, strings ≤ 512 MiB) and positions travel as uint32.
 * `minBits` keeps tiny filters from degenerating (a 2-bit filter answers "maybe" to everything).
 * `maxHashes` bounds per-key work: k = 30 already reaches p = 1e-9.
 */
export const BLOOM_LIMITS = {
  minBits: 64,
  maxBits: 2 ** 32,
  maxHashes: 32,
  minFalsePositiveRate: 1e-9,
  maxFalsePositiveRate: 0.5,
  maxGenerations: 64,
} as const;

const LN2 = Math.LN2;

function isIntegerIn(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

/**
 * Throws a {@link ConfigurationError} unless `params` is a usable (m, k).
 *
 * @example
 * ```ts
 * assertBloomParams({ bits: 1024, hashes: 7 }); // ok
 * assertBloomParams({ bits: 0, hashes: 7 });    // throws ConfigurationError
 * ```
 */
export function assertBloomParams(params: BloomParams): void {
  if (!isIntegerIn(params.bits, BLOOM_LIMITS.minBits, BLOOM_LIMITS.maxBits)) {
    throw new ConfigurationError(
      `Invalid Bloom filter bits ${params.bits}: expected an integer in [${BLOOM_LIMITS.minBits}, 2^32]. ` +
        'Derive it with bloomParams({ capacity, falsePositiveRate }).',
    );
  }
  if (!isIntegerIn(params.hashes, 1, BLOOM_LIMITS.maxHashes)) {
    throw new ConfigurationError(
      `Invalid Bloom filter hashes ${params.hashes}: expected an integer in [1, ${BLOOM_LIMITS.maxHashes}].`,
    );
  }
}

function assertFalsePositiveRate(p: number, name = 'falsePositiveRate'): void {
  const { minFalsePositiveRate: min, maxFalsePositiveRate: max } = BLOOM_LIMITS;
  if (!(Number.isFinite(p) && p >= min && p <= max)) {
    throw new ConfigurationError(`Invalid Bloom filter ${name} ${p}: expected a number in [${min}, ${max}].`);
  }
}

/**
 * Optimal (m, k) for `capacity` keys at false-positive rate `falsePositiveRate`:
 * m = ceil(-n ln p / (ln 2)^2), k = round(m / n · ln 2), then clamped to {@link BLOOM_LIMITS}.
 *
 * @throws ConfigurationError when n or p is out of range or m would exceed 2^32 bits.
 * @example
 * ```ts
 * const { bits, hashes, bytes } = bloomParams({ capacity: 1_000_000, falsePositiveRate: 0.01 });
 * // bits = 9_585_059, hashes = 7, bytes = 1_198_133
 * ```
 */
export function bloomParams(options: { capacity: number; falsePositiveRate: number }): BloomSizing {
  const { capacity: n, falsePositiveRate: p } = options;
  if (!isIntegerIn(n, 1, BLOOM_LIMITS.maxBits)) {
    throw new ConfigurationError(`Invalid Bloom filter capacity ${n}: expected an integer in [1, 2^32].`);
  }
  assertFalsePositiveRate(p);
  const optimal = Math.ceil((-n * Math.log(p)) / (LN2 * LN2));
  if (optimal > BLOOM_LIMITS.maxBits) {
    throw new ConfigurationError(
      `A Bloom filter for ${n} keys at p=${p} needs ${optimal} bits, above the 2^32-bit limit of a Redis ` +
        'bitmap. Lower the capacity (shorter generations or fewer keys per second) or raise the false-positive rate.',
    );
  }
  const bits = Math.max(BLOOM_LIMITS.minBits, optimal);
  const hashes = Math.min(BLOOM_LIMITS.maxHashes, Math.max(1, Math.round((bits / n) * LN2)));
  return {
    bits,
    hashes,
    capacity: n,
    falsePositiveRate: p,
    expectedFalsePositiveRate: expectedFalsePositiveRate({ bits, hashes }, n),
    bytes: Math.ceil(bits / 8),
  };
}

/**
 * The inverse of {@link bloomParams}: the false-positive rate of an (m, k) filter holding
 * `items` distinct keys, (1 - e^(-k·n/m))^k.
 *
 * @example
 * ```ts
 * expectedFalsePositiveRate({ bits: 9_585_059, hashes: 7 }, 1_000_000); // ≈ 0.01
 * ```
 */
export function expectedFalsePositiveRate(params: BloomParams, items: number): number {
  assertBloomParams(params);
  if (!(Number.isFinite(items) && items >= 0)) {
    throw new ConfigurationError(`Invalid item count ${items}: expected a finite number ≥ 0.`);
  }
  return (1 - Math.exp((-params.hashes * items) / params.bits)) ** params.hashes;
}

/**
 * Per-filter false-positive rate such that a lookup testing `filters` independent filters
 * (any hit = "maybe") stays at `falsePositiveRate`: 1 - (1 - p)^(1/g), slightly above p/g.
 *
 * @example
 * ```ts
 * perFilterFalsePositiveRate(0.001, 2); // ≈ 0.0005
 * ```
 */
export function perFilterFalsePositiveRate(falsePositiveRate: number, filters: number): number {
  assertFalsePositiveRate(falsePositiveRate);
  assertGenerationCount(filters);
  return 1 - (1 - falsePositiveRate) ** (1 / filters);
}

// ---------------------------------------------------------------------------------------------
// Generations of the distributed tier.
//
// Keys completed in time bucket g go to bitmap g; a lookup tests the `count` newest bitmaps.
// The clock only *names* the bitmap to write: expiry is a relative PX that Redis applies
// itself, so no timestamp is ever compared across machines (design §4, seed 000 §2.4). A
// writer whose clock is off by less than one generation writes a neighbouring bitmap; the
// extra generation in generationTtlMs() keeps that bitmap alive as long as readers need it.
//
//   time ─────┬──────────┬──────────┬──────────┬──────────┬──▶
//             │  gen g   │  gen g+1 │  gen g+2 │  gen g+3 │
//   writes g: ├──────────┤
//   reads g (count=3):   ├──────────────────────────────┤     (until g drops out)
//   PX of g ≥ (count + 1) × generationMs from its first write (skew slack included)
// ---------------------------------------------------------------------------------------------

function assertGenerationMs(generationMs: number): void {
  if (!isIntegerIn(generationMs, 1, Number.MAX_SAFE_INTEGER)) {
    throw new ConfigurationError(`Invalid generationMs ${generationMs}: expected a positive integer (ms).`);
  }
}

function assertGenerationCount(count: number): void {
  if (!isIntegerIn(count, 1, BLOOM_LIMITS.maxGenerations)) {
    throw new ConfigurationError(
      `Invalid generation count ${count}: expected an integer in [1, ${BLOOM_LIMITS.maxGenerations}].`,
    );
  }
}

/**
 * Generation id (time bucket) that `nowMs` falls in: floor(nowMs / generationMs).
 * Used only to name a bitmap; never to decide expiry.
 *
 * @throws ConfigurationError on a non-positive or non-integer `generationMs`.
 * @throws MskGuardError when `nowMs` is not a finite number ≥ 0.
 * @example
 * ```ts
 * const key = `mskguard:{${group}}:bloom:${generationFor(Date.now(), 3_600_000)}`;
 * ```
 */
export function generationFor(nowMs: number, generationMs: number): number {
  assertGenerationMs(generationMs);
  if (!(Number.isFinite(nowMs) && nowMs >= 0)) {
    throw new MskGuardError(`Invalid clock value ${nowMs}: expected milliseconds since the epoch.`);
  }
  return Math.floor(nowMs / generationMs);
}

/**
 * The `count` generations a lookup must test at `nowMs`, newest (the one to write) first.
 * Ids can be negative only for clocks within `count` generations of the epoch (tests).
 *
 * @example
 * ```ts
 * activeGenerations(7_200_000, 3_600_000, 3); // [2, 1, 0]
 * ```
 */
export function activeGenerations(nowMs: number, generationMs: number, count: number): number[] {
  assertGenerationCount(count);
  const newest = generationFor(nowMs, generationMs);
  return Array.from({ length: count }, (_, i) => newest - i);
}

/**
 * PX (ms) to give a generation's bitmap when it is written: (count + 1) × generationMs.
 * `count` generations cover the read window; the extra one absorbs writers whose clock is
 * up to one generation ahead or behind. Redis expires the bitmap; nothing compares clocks.
 *
 * @example
 * ```ts
 * generationTtlMs(3_600_000, 24); // 90_000_000 (25 h)
 * ```
 */
export function generationTtlMs(generationMs: number, count: number): number {
  assertGenerationMs(generationMs);
  assertGenerationCount(count);
  return (count + 1) * generationMs;
}

/** Inputs of {@link generationSizing}. */
export interface GenerationSizingOptions {
  /** Expected completed keys per second across the consumer group (peak, not average). */
  readonly keysPerSecond: number;
  /** Length of one generation (time bucket), ms. */
  readonly generationMs: number;
  /** Generations a lookup tests; the horizon is (generations - 1) to generations × generationMs. */
  readonly generations: number;
  /** False-positive rate of a lookup across all `generations` bitmaps, each full. */
  readonly falsePositiveRate: number;
}

/** One generation's bitmap sizing plus what the whole rotation costs and remembers. */
export interface GenerationSizing {
  /** (m, k) and bytes of each generation's bitmap, sized for keysPerSecond × generationMs keys. */
  readonly bitmap: BloomSizing;
  readonly generationMs: number;
  readonly generations: number;
  /** False-positive rate asked for a lookup across all generations. */
  readonly falsePositiveRate: number;
  /** False-positive rate of a lookup across all generations when each is full: 1 - (1 - f)^g. */
  readonly expectedFalsePositiveRate: number;
  /** PX for each bitmap, see {@link generationTtlMs}. */
  readonly ttlMs: number;
  /** A key is remembered at least this long after it was added. */
  readonly horizonMs: number;
  /** Upper bound of bytes alive in Redis at once: (generations + 1) bitmaps. */
  readonly totalBytes: number;
}

/**
 * Sizes each generation bitmap of the distributed tier for keysPerSecond × generation length
 * keys, at the per-bitmap rate that keeps a lookup over all generations at `falsePositiveRate`.
 *
 * @example
 * ```ts
 * const s = generationSizing({ keysPerSecond: 500, generationMs: 3_600_000, generations: 24, falsePositiveRate: 0.01 });
 * // s.bitmap.capacity = 1_800_000 keys, s.ttlMs = 90_000_000, s.totalBytes = 25 × s.bitmap.bytes
 * ```
 */
export function generationSizing(options: GenerationSizingOptions): GenerationSizing {
  const { keysPerSecond, generationMs, generations, falsePositiveRate } = options;
  if (!(Number.isFinite(keysPerSecond) && keysPerSecond > 0)) {
    throw new ConfigurationError(`Invalid keysPerSecond ${keysPerSecond}: expected a positive number.`);
  }
  const ttlMs = generationTtlMs(generationMs, generations);
  const bitmap = bloomParams({
    capacity: Math.max(1, Math.ceil((keysPerSecond * generationMs) / 1000)),
    falsePositiveRate: perFilterFalsePositiveRate(falsePositiveRate, generations),
  });
  return {
    bitmap,
    generationMs,
    generations,
    falsePositiveRate,
    expectedFalsePositiveRate: 1 - (1 - bitmap.expectedFalsePositiveRate) ** generations,
    ttlMs,
    horizonMs: (generations - 1) * generationMs,
    totalBytes: (generations + 1) * bitmap.bytes,
  };
}
