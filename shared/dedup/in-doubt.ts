import type { DerivedKey } from '../keys/index.ts';
import type { BatchKeys } from './batch-keys.ts';
import { ClaimStatus, type TierKey } from './exact.ts';

/** A key claimed InDoubt: its last owner died holding the lease (`index`: the claim). */
export interface InDoubtKey {
  readonly key: TierKey;
  readonly index: number;
  readonly owner: string;
}

/**
 * The verdict on keys whose last owner died holding the lease (decision 0006): a duplicate if that
 * owner's checkpoint transaction committed (`committed` holds its owner), new otherwise. Sets each
 * key's slot status in `keys` and returns the keys proven done: they are completed with this
 * invocation, never released (their leases name this invocation now).
 *
 *   owner A claims k ── A's checkpoint transaction commits ── A dies before complete
 *   owner B claims k: InDoubt(A) ── committedOwners([A]) = {A} ── k is a duplicate, B completes it
 */
export function resolveDoubts(
  inDoubt: readonly InDoubtKey[],
  committed: ReadonlySet<string>,
  keys: BatchKeys,
): DerivedKey[] {
  const repaired: DerivedKey[] = [];
  for (const { key, index, owner } of inDoubt) {
    if (committed.has(owner)) {
      keys.setClaimStatus(index, ClaimStatus.Duplicate);
      repaired.push(key as DerivedKey);
    } else {
      keys.setClaimStatus(index, ClaimStatus.New);
    }
  }
  return repaired;
}
