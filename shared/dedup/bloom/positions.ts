/**
 * The one function that maps a key digest to its Bloom bit positions. The local filter and
 * the distributed tier (positions sent to Lua) both use it, so a key sets and tests the same
 * bits wherever it goes. Changing it invalidates every bitmap already written: bump the
 * bitmap namespace if you ever must.
 */
import { MskGuardError } from '../../errors.ts';
import { assertBloomParams, type BloomParams } from './params.ts';

/** Length of a key digest: the first 128 bits of its SHA-256 (design §3). */
export const BLOOM_DIGEST_BYTES = 16;

const TWO_POW_32 = 0x1_0000_0000;

/**
 * Writes the k positions of `digest` into `out[0..k)`, unchecked: the caller guarantees a
 * 16-byte digest, valid (m, k) and `out.length >= k`.
 *
 * Kirsch–Mitzenmacher double hashing, position_i = (h1 + i·h2) mod m, with no second hash:
 * the digest is already uniform. h1 and h2 are the little-endian unsigned 48-bit integers in
 * bytes 0–5 and 6–11. 48 bits is the widest word that stays exact in a double (JS, and Lua's
 * numbers), so there is no BigInt, and the modulo bias is at most m/2^48 (a 32-bit word would
 * skew positions by up to 2× when m nears 2^32). The sum is advanced incrementally and stays
 * below 2m ≤ 2^33, again exact. When h2 ≡ 0 (mod m), all k positions coincide (probability
 * 1/m); the key is still found, only its false-positive protection weakens.
 *
 * `at`: where the digest starts in `digest` (a batch's digests packed back to back).
 *
 * @internal Use {@link bloomPositions} unless you validated the inputs once for many calls.
 */
export function writeBloomPositions(
  digest: Uint8Array,
  bits: number,
  hashes: number,
  out: Uint32Array,
  at = 0,
): void {
  const d = digest;
  const h1 =
    ((d[at]! | (d[at + 1]! << 8) | (d[at + 2]! << 16) | (d[at + 3]! << 24)) >>> 0) +
    (d[at + 4]! | (d[at + 5]! << 8)) * TWO_POW_32;
  const h2 =
    ((d[at + 6]! | (d[at + 7]! << 8) | (d[at + 8]! << 16) | (d[at + 9]! << 24)) >>> 0) +
    (d[at + 10]! | (d[at + 11]! << 8)) * TWO_POW_32;
  let position = h1 % bits;
  const step = h2 % bits;
  for (let i = 0; i < hashes; i++) {
    out[i] = position;
    position += step;
    if (position >= bits) position -= bits;
  }
}

/**
 * The k bit positions, each in [0, m), of a 16-byte key digest in a filter of shape `params`.
 * Deterministic across processes and versions. Allocation-free when `out` is given: the
 * positions fill `out[0..k)` and `out` itself is returned (entries past k are left alone).
 *
 * @throws MskGuardError when the digest is not 16 bytes or `out` is shorter than k.
 * @throws ConfigurationError when `params` is not a valid (m, k).
 * @example
 * ```ts
 * const params = bloomParams({ capacity: 1_000_000, falsePositiveRate: 0.001 });
 * const scratch = new Uint32Array(params.hashes);
 * for (const digest of digests) {
 *   bloomPositions(digest, params, scratch); // reuse one buffer per batch
 *   packed.set(scratch, offset);
 * }
 * ```
 */
export function bloomPositions(digest: Uint8Array, params: BloomParams, out?: Uint32Array): Uint32Array {
  assertBloomParams(params);
  if (digest.length !== BLOOM_DIGEST_BYTES) {
    throw new MskGuardError(
      `Bloom positions need a ${BLOOM_DIGEST_BYTES}-byte key digest, got ${digest.length} bytes. ` +
        'Pass the truncated SHA-256 of the idempotency key, not the raw key or its hex string.',
    );
  }
  const target = out ?? new Uint32Array(params.hashes);
  if (target.length < params.hashes) {
    throw new MskGuardError(
      `Bloom positions output holds ${target.length} entries but k = ${params.hashes}: ` +
        'allocate new Uint32Array(params.hashes).',
    );
  }
  writeBloomPositions(digest, params.bits, params.hashes, target);
  return target;
}
