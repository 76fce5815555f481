import type { WatermarkSnapshot } from '../checkpoints/types.ts';
import type { BatchKeys } from './batch-keys.ts';
import type { CacheTiers, ClaimOutcome, ClaimTiming } from './cache.ts';
import type { LocalFilterTier } from './local-filter.ts';

/** What the claim step needs: the tiers, the batch's keys and the checks to run meanwhile. */
export interface ClaimStepInput {
  readonly cache: CacheTiers;
  readonly local: LocalFilterTier;
  /** The watermark read, already sent. */
  readonly watermarkRead: Promise<WatermarkSnapshot>;
  readonly keys: BatchKeys;
  readonly timing: ClaimTiming;
  readonly mode: 'exact' | 'probabilistic';
  /** The event's payload checks, when they were left for now (msk/parse.ts `parseMskEventDeferred`). */
  readonly verify: (() => void) | undefined;
}

/**
 * The batch's round trip before the handler: sends the claim while the watermark read is out, and
 * while both are in flight runs the event's payload checks and adds the last invocation's
 * completed keys to the local filter (after one macrotask, so the clients have sent). A bad event,
 * then an unreadable watermark, fails the invocation; the claim is given back first, and nothing
 * reaches the handler.
 */
export async function claimWhileChecking(
  input: ClaimStepInput,
): Promise<{ snapshot: WatermarkSnapshot; claim: ClaimOutcome }> {
  const { cache, keys, timing, mode, verify } = input;
  const settled = Promise.allSettled([input.watermarkRead, cache.claim(keys.claimKeys, timing, mode)]);
  await new Promise((resolve) => setImmediate(resolve));
  input.local.fill();
  let failure: { error: unknown } | undefined;
  try {
    verify?.();
  } catch (error) {
    failure = { error };
  }
  const [read, claimed] = await settled;
  if (!failure && read.status === 'rejected') failure = { error: read.reason };
  if (failure) {
    // No doubt was settled yet: its keys go back to their dead owners (decision 0006).
    const { ticket, inDoubt } = claimed.status === 'fulfilled' ? claimed.value : {};
    if (ticket) await cache.release(ticket, inDoubt);
    throw failure.error;
  }
  if (claimed.status === 'rejected') throw claimed.reason;
  return { snapshot: (read as PromiseFulfilledResult<WatermarkSnapshot>).value, claim: claimed.value };
}
