import type { DerivedKey } from '../keys/index.ts';
import type { InDoubtKey } from './exact.ts';
import type { DedupTicket, LostClaim, ShardedDedupTier } from './sharded.ts';

/**
 * A call whose outcome is unknown (the cache blipped), sent again before the next claim: a complete
 * or a release that failed, or a claim whose reply was lost (it may have leased its keys: released
 * in the buckets it may have written to).
 */
export type LateSettlement =
  | {
      readonly kind: 'complete';
      readonly ticket: DedupTicket;
      readonly completed: readonly DerivedKey[];
      readonly released: readonly DerivedKey[];
    }
  | {
      readonly kind: 'release';
      readonly ticket: DedupTicket | LostClaim;
      readonly doubts?: readonly InDoubtKey[];
    };

// Owners whose complete or release failed, kept to give back late (their leases expire anyway).
const MAX_LATE = 64;

/**
 * One container's late settlements (decision 0014), in the order they failed: after the handler
 * nothing fails the invocation, so a complete or release that fails is kept here and sent again
 * just before the container's next claim, instead of leaving its keys IN_PROGRESS for a lease.
 */
export class LateSettlements {
  #late: LateSettlement[] = [];

  /** Keeps `late` for the next claim; past 64 the oldest is dropped (its leases expire anyway). */
  public keep(late: LateSettlement): void {
    this.#late.push(late);
    if (this.#late.length > MAX_LATE) this.#late.shift();
  }

  /**
   * Sends them in order; at the first failure the rest stays for next time.
   * @returns how many were settled.
   */
  public async send(tier: ShardedDedupTier, onError: (error: unknown) => void): Promise<number> {
    if (this.#late.length === 0) return 0;
    const pending = this.#late;
    this.#late = [];
    for (let i = 0; i < pending.length; i++) {
      const late = pending[i]!;
      try {
        if (late.kind === 'complete') await tier.complete(late.ticket, late.completed, late.released);
        else await releaseWithDoubts(tier, late.ticket, late.doubts);
      } catch (error) {
        // Still unreachable: keep the rest; the claim that follows decides what the invocation does.
        this.#late.push(...pending.slice(i));
        onError(error);
        return i;
      }
    }
    return pending.length;
  }
}

/**
 * Releases `ticket`; its keys in doubt (`doubts`, when the claim is given back before they were
 * settled) first go back to their dead owners (handback-1.lua, decision 0006).
 */
export async function releaseWithDoubts(
  tier: ShardedDedupTier,
  ticket: DedupTicket | LostClaim,
  doubts: readonly InDoubtKey[] | undefined,
): Promise<void> {
  if (doubts?.length && !('around' in ticket)) await tier.handBack(ticket, doubts);
  await tier.release(ticket);
}
