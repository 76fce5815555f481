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
 * owner's checkpoint transaction committed (`committed` holds its owner), new otherwise. A key may
 * come with several dead owners (several entries with its `index`: owners that took it over in
 * doubt and died, or never learnt the doubt, claim-1.lua `?<id>`): a duplicate if any of them
 * committed. Sets each key's slot status in `keys` and returns the keys proven done: they are
 * completed with this invocation, never released (their leases name this invocation now).
 *
 *   owner A claims k ── A's checkpoint transaction commits ── A dies before complete
 *   owner B claims k: InDoubt(A) ── committedOwners([A]) = {A} ── k is a duplicate, B completes it
 */
export function resolveDoubts(
  inDoubt: readonly InDoubtKey[],
  committed: ReadonlySet<string>,
  keys: BatchKeys,
): DerivedKey[] {
  const done = new Map<number, { key: TierKey; committed: boolean }>();
  for (const { key, index, owner } of inDoubt) {
    const seen = done.get(index);
    if (seen) seen.committed ||= committed.has(owner);
    else done.set(index, { key, committed: committed.has(owner) });
  }
  const repaired: DerivedKey[] = [];
  for (const [index, verdict] of done) {
    if (verdict.committed) {
      keys.setClaimStatus(index, ClaimStatus.Duplicate);
      repaired.push(verdict.key as DerivedKey);
    } else {
      keys.setClaimStatus(index, ClaimStatus.New);
    }
  }
  return repaired;
}
