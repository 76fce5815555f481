import type { DerivedKey } from '../keys/index.ts';
import { LocalBloomFilter } from './bloom/local-filter.ts';

/**
 * The local tier: an in-container Bloom filter of the keys completed here. It answers when the
 * cache is unreachable (degraded mode) and, in probabilistic mode, before the claim (no round
 * trip). It only ever says "probable": a hit is processed and counted, or quarantined, never
 * dropped (G2).
 *
 * Completed keys reach the filter during the next invocation's claim round trip (`fill`), not on
 * the settle path; until then only where their digests are (slab and offsets) is kept, not the
 * keys: a key holds its record, and the whole batch would otherwise stay alive.
 */
export class LocalFilterTier {
  readonly #filter: LocalBloomFilter;
  #pending: { slab: Uint8Array; ats: Int32Array }[] = [];

  public constructor(options: { capacity: number; falsePositiveRate: number }) {
    this.#filter = new LocalBloomFilter(options);
  }

  /** Whether the filter has seen `key` (call {@link LocalFilterTier.fill} first for the latest keys). */
  public has(key: DerivedKey): boolean {
    return this.#filter.hasAt(key.slab, key.at);
  }

  /** Adds the keys completed since the last fill. */
  public fill(): void {
    if (this.#pending.length === 0) return;
    for (const { slab, ats } of this.#pending) for (const at of ats) this.#filter.addAt(slab, at);
    this.#pending = [];
  }

  /** Keeps the completed keys' digests for the next {@link LocalFilterTier.fill}. */
  public remember(completed: readonly DerivedKey[]): void {
    for (let i = 0; i < completed.length; ) {
      const slab = completed[i]!.slab;
      let j = i;
      while (j < completed.length && completed[j]!.slab === slab) j++;
      const ats = new Int32Array(j - i);
      for (let k = i; k < j; k++) ats[k - i] = completed[k]!.at;
      this.#pending.push({ slab, ats });
      i = j;
    }
  }
}
