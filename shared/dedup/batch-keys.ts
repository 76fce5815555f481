import type { DerivedKey, KeyDeriver, KeyResult } from '../keys/index.ts';
import type { ParsedRecord } from '../msk/index.ts';
import type { ClaimStatus } from './exact.ts';
import { distinctKeys } from './in-batch.ts';

/**
 * One batch's keys and the three index spaces the tiers use, kept together so no other code
 * translates between them:
 * - record `i`: `batch.records[i]`, its key `keys[i]` and its slot `slots[i]`;
 * - slot `s`: one distinct key of the batch (`slotKeys[s]`, the first record that carries it), with
 *   its claim status `statuses[s]` and whether the local filter has seen it (`locallySeen[s]`);
 * - claim `c`: the slots sent to the exact tier, in order (`claimKeys[c]` is `slotKeys[toClaim[c]]`).
 *
 * Arrays, not maps: a batch holds up to 10,000 records and this is built on every invocation.
 */
export class BatchKeys {
  /** Per record: its key, or that it has none. */
  public readonly keys: readonly KeyResult[];
  /** Per record: its slot, -1 for a record without a key. */
  public readonly slots: Int32Array;
  /** Per slot: the key, as its first record carries it. */
  public readonly slotKeys: readonly DerivedKey[];
  /** Per slot: 1 when the local filter has seen the key (degraded mode, probabilistic fast path). */
  public readonly locallySeen: Uint8Array;
  /** Per claim: the slot claimed. */
  public readonly toClaim: readonly number[];
  /** Per claim: the key sent to the exact tier. */
  public readonly claimKeys: readonly DerivedKey[];
  /** Per slot: what the exact tier answered (undefined for a slot not claimed). */
  public readonly statuses: (ClaimStatus | undefined)[];

  /**
   * Derives the keys of `records` and sorts their slots into those the local filter answers
   * (`seenLocally`, the probabilistic fast path: no round trip) and those to claim.
   */
  public constructor(
    records: readonly ParsedRecord[],
    derive: KeyDeriver,
    seenLocally?: (key: DerivedKey) => boolean,
  ) {
    this.keys = derive(records);
    const { slots, slotKeys } = distinctKeys(this.keys);
    this.slots = slots;
    this.slotKeys = slotKeys;
    this.locallySeen = new Uint8Array(slotKeys.length);
    this.statuses = new Array<ClaimStatus | undefined>(slotKeys.length);
    const toClaim = new Array<number>(slotKeys.length);
    let claimed = 0;
    for (let slot = 0; slot < slotKeys.length; slot++) {
      if (seenLocally?.(slotKeys[slot]!)) this.locallySeen[slot] = 1;
      else toClaim[claimed++] = slot;
    }
    toClaim.length = claimed;
    const claimKeys = new Array<DerivedKey>(claimed);
    for (let c = 0; c < claimed; c++) claimKeys[c] = slotKeys[toClaim[c]!]!;
    this.toClaim = toClaim;
    this.claimKeys = claimKeys;
  }

  /** Records the exact tier's answer, given per claim, against the slots claimed. */
  public applyClaim(statuses: readonly ClaimStatus[]): void {
    for (let c = 0; c < this.toClaim.length; c++) this.statuses[this.toClaim[c]!] = statuses[c];
  }

  /** Sets the status of the slot behind claim `c` (in-doubt keys, once their verdict is known). */
  public setClaimStatus(c: number, status: ClaimStatus): void {
    this.statuses[this.toClaim[c]!] = status;
  }

  /** Marks the claimed slots the local filter has seen (the cache was unreachable: degraded mode). */
  public markClaimedSeen(seen: (key: DerivedKey) => boolean): void {
    for (let c = 0; c < this.toClaim.length; c++)
      if (seen(this.claimKeys[c]!)) this.locallySeen[this.toClaim[c]!] = 1;
  }
}
