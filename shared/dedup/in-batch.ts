import { DIGEST_BYTES } from '../keys/digest.ts';
import type { DerivedKey, KeyResult } from '../keys/index.ts';

/**
 * The in-batch tier: records of one batch that carry the same key are one business event, and only
 * the first is a candidate for the handler (design §4, "resolved locally before any round trip").
 */

/**
 * Groups equal 16-byte digests of one slab (a batch's digests back to back) without building a
 * string per digest: open addressing over the digests' own words. SHA-256 output is uniform, so
 * its first 32 bits are a good table index as they are.
 *
 * @example
 * ```ts
 * const index = new DigestIndex(slab, records.length);
 * const slot = index.slotOf(i * 16); // the same slot for equal digests, 0, 1, 2... in first-seen order
 * ```
 */
export class DigestIndex {
  readonly #words: Int32Array;
  readonly #table: Int32Array;
  /** Word offset (at / 4) of each slot's first digest. */
  readonly #firsts: Int32Array;
  readonly #mask: number;
  #size = 0;

  /**
   * @param slab the digests; its byte offset must be a multiple of 4 (see {@link DigestIndex.accepts}).
   * @param capacity the most distinct digests that will be added.
   */
  public constructor(slab: Uint8Array, capacity: number) {
    if (!DigestIndex.accepts(slab)) throw new RangeError('DigestIndex needs a 4-byte aligned slab');
    this.#words = new Int32Array(slab.buffer, slab.byteOffset, slab.byteLength >>> 2);
    let size = 16;
    while (size < capacity * 2) size <<= 1;
    this.#table = new Int32Array(size).fill(-1);
    this.#mask = size - 1;
    this.#firsts = new Int32Array(Math.max(capacity, 1));
  }

  /** Whether a slab can be indexed in place (Int32 view). */
  public static accepts(slab: Uint8Array): boolean {
    return slab.byteOffset % 4 === 0 && slab.byteLength % DIGEST_BYTES === 0;
  }

  /** Distinct digests seen so far. */
  public get size(): number {
    return this.#size;
  }

  /** The slot of the digest at byte `at`: an existing one for a digest seen before, else the next. */
  public slotOf(at: number): number {
    const w = this.#words;
    const i = at >>> 2;
    const a = w[i]!;
    const b = w[i + 1]!;
    const c = w[i + 2]!;
    const d = w[i + 3]!;
    const table = this.#table;
    const firsts = this.#firsts;
    for (let probe = a & this.#mask; ; probe = (probe + 1) & this.#mask) {
      const slot = table[probe]!;
      if (slot < 0) {
        if (this.#size >= firsts.length) throw new RangeError('DigestIndex is full');
        table[probe] = this.#size;
        firsts[this.#size] = i;
        return this.#size++;
      }
      const j = firsts[slot]!;
      if (w[j] === a && w[j + 1] === b && w[j + 2] === c && w[j + 3] === d) return slot;
    }
  }
}

/**
 * Groups a batch's keys into slots, one per distinct key, first occurrence first. Digests are
 * compared in place in the batch's slab (no id string per record).
 *
 * @returns `slots`: the slot of each record (-1 for a record without a key); `slotKeys`: the first
 *   key of each slot.
 */
export function distinctKeys(keys: readonly KeyResult[]): { slots: Int32Array; slotKeys: DerivedKey[] } {
  const slots = new Int32Array(keys.length);
  // Sized for every key distinct (the usual case), trimmed at the end.
  const slotKeys = new Array<DerivedKey>(keys.length);
  let distinct = 0;
  // One deriver call writes every digest of the batch into one aligned slab (keys/deriver.ts).
  const slab = keys.find((k): k is DerivedKey => !k.missing)?.slab;
  const index = slab === undefined ? undefined : new DigestIndex(slab, keys.length);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (key.missing) {
      slots[i] = -1;
      continue;
    }
    if (key.slab !== slab) throw new Error('distinctKeys: the keys of one batch must share one digest slab');
    const slot = index!.slotOf(key.at);
    if (slot === distinct) slotKeys[distinct++] = key;
    slots[i] = slot;
  }
  slotKeys.length = distinct;
  return { slots, slotKeys };
}
