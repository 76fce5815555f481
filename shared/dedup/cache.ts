import type { ScriptRunner } from '../cache/script-runner.ts';
import { CacheUnavailableError, ConfigurationError } from '../errors.ts';
import type { DerivedKey } from '../keys/index.ts';
import type { DistributedBloomParams } from './distributed-bloom.ts';
import { type ClaimStatus, type InDoubtKey, newOwner, type TierKey } from './exact.ts';
import { LateSettlements, releaseWithDoubts } from './late-settlements.ts';
import { type DedupClaim, type DedupTicket, type LostClaim, ShardedDedupTier } from './sharded.ts';

/** What the claim answered, per claim (aligned with the keys claimed). */
export interface ClaimOutcome {
  readonly statuses: readonly ClaimStatus[];
  readonly ticket: DedupTicket | undefined;
  /** Keys whose last owner died holding the lease (`index`: the claim). */
  readonly inDoubt: readonly { key: TierKey; index: number; owner: string }[];
  /** The cache was unreachable under `onCacheUnavailable: 'degrade'`: nothing was claimed. */
  readonly degraded: boolean;
  /** How long the claim waited for other owners' leases to end, ms (0: it did not wait). */
  readonly waitedMs: number;
}

/** How long a claim may wait for other owners' leases, and how long to lease for afterwards. */
export interface ClaimTiming {
  /** The lease length if claimed now: the invocation's remaining time plus the margin. */
  readonly leaseMs: () => number;
  /** The invocation's remaining time, ms. */
  readonly remainingMs: () => number;
}

/** Something the cache tiers did that telemetry counts. */
export type CacheEvent =
  | { readonly type: 'lease-wait'; readonly ms: number; readonly keys: number }
  | { readonly type: 'late-settlement'; readonly owners: number };

// A claim that meets another owner's live lease polls for it instead of failing the partition at
// once: Lambda retries a failed Kafka batch without a pause (decision 0011), so failing at once
// would spend the retries in milliseconds while the holder works or its lease runs out. It polls
// after 50, 100, 200 ms... (never past the lease's end, which it sleeps to when that is sooner),
// within the invocation's remaining time less a reserve for the handler (a quarter of it, at least
// 5 s), at most MAX_WAITS times, each one more round trip. What is still held then fails its
// partition, and the retry meets the lease nearer its end.
const MAX_WAITS = 10;
const FIRST_POLL_MS = 50;
const MIN_RESERVE_MS = 5000;
// The lease ends in Redis time; the wait is measured here: a little slack covers the round trip.
const WAIT_SLACK_MS = 50;

/** Options of {@link CacheTiers}. */
export interface CacheTiersOptions {
  /** The runner, or a function creating it on first use (e.g. after reading a secret). */
  readonly cache: ScriptRunner | (() => ScriptRunner | Promise<ScriptRunner>);
  /** The group's Redis key prefix, `mskguard:{group}`, read on first use. */
  readonly baseKey: () => string;
  readonly windowMs: number;
  readonly bloom: DistributedBloomParams | undefined;
  /** Hash tags the group's keys are spread over (decision 0015). */
  readonly shards: number;
  readonly onCacheUnavailable: 'fail' | 'degrade';
  /** Told of every cache error (counted and logged by the caller), thrown or not. */
  readonly onError: (error: unknown) => void;
  /** Told of lease waits and late settlements. */
  readonly onEvent?: (event: CacheEvent) => void;
}

/**
 * The cache-backed tiers (exact, and distributed Bloom when on) as one container uses them: the
 * Redis tier is created on first use, and an unreachable cache degrades or fails as configured.
 * A cache blip never stalls a partition for a whole lease (issue 17, decision 0011):
 * - after the handler nothing fails the invocation: a complete or release that fails is kept and
 *   sent again just before this container's next claim (a late settlement), instead of leaving the
 *   keys IN_PROGRESS until the lease expires;
 * - a claim that finds keys under another owner's live lease waits for it when it ends within the
 *   invocation's time (less a reserve for the handler), and claims those keys again (G4 holds:
 *   Redis decides who holds a key).
 */
export class CacheTiers {
  readonly #options: CacheTiersOptions;
  #tier: Promise<ShardedDedupTier> | undefined;
  readonly #late = new LateSettlements();

  public constructor(options: CacheTiersOptions) {
    this.#options = options;
  }

  /**
   * Claims `keys`: one round trip, after the late settlements of earlier invocations (one more
   * round trip, only when one is pending), plus one per wait for another owner's lease. An
   * unreachable cache is tried again (50, 100, 200 ms...) within the same wait budget before the
   * invocation fails: a blip costs time, not one of the batch's retries. Under
   * `onCacheUnavailable: 'degrade'` it degrades at once instead.
   */
  public async claim(
    keys: readonly DerivedKey[],
    timing: ClaimTiming,
    mode: 'exact' | 'probabilistic',
  ): Promise<ClaimOutcome> {
    if (keys.length === 0)
      return { statuses: [], ticket: undefined, inDoubt: [], degraded: false, waitedMs: 0 };
    // One owner for every try: a try whose reply was lost leased its keys to this owner, and the
    // next try takes them again under the same name.
    const owner = newOwner();
    const deadline = waitDeadline(timing);
    let poll = FIRST_POLL_MS;
    let sent: { tier: ShardedDedupTier; at: number } | undefined;
    for (;;) {
      try {
        const tier = await this.#redisTier();
        await this.#settleLate(tier);
        sent = { tier, at: Date.now() };
        const first = await tier.claim(keys, { leaseMs: timing.leaseMs(), mode, owner });
        return await this.#waitForLeases(tier, keys, first, timing, mode, deadline);
      } catch (error) {
        this.#options.onError(error);
        const unreachable = error instanceof CacheUnavailableError;
        const degrade = unreachable && this.#options.onCacheUnavailable === 'degrade';
        if (unreachable && !degrade && deadline - performance.now() >= poll) {
          await sleep(poll);
          poll *= 2;
          continue;
        }
        // The claim may have leased keys before it failed: on some shards, in an earlier round of
        // the lease wait, or applied with its reply lost. They go back, or the retry would meet them
        // IN_PROGRESS until the lease runs out: now when Redis answers (a script or configuration error),
        // else before the next claim.
        if (sent) {
          const lost = { owner, around: sent.tier.bucketsAround(sent.at) };
          await this.#giveBackLost(sent.tier, lost, unreachable);
        }
        if (!degrade) throw error;
        return { statuses: [], ticket: undefined, inDoubt: [], degraded: true, waitedMs: 0 };
      }
    }
  }

  /**
   * Polls the keys under other owners' live leases (see MAX_WAITS), claiming them again under the
   * same owner each time: a holder that completes makes them duplicates, one that releases or dies
   * makes them this invocation's. What is still held at the deadline stays IN_PROGRESS (its
   * partition is retried). G4 holds: only the claim in Redis gives a key.
   */
  async #waitForLeases(
    tier: ShardedDedupTier,
    keys: readonly DerivedKey[],
    first: DedupClaim,
    timing: ClaimTiming,
    mode: 'exact' | 'probabilistic',
    deadline: number,
  ): Promise<ClaimOutcome> {
    const statuses = [...first.statuses];
    const inDoubt = [...first.inDoubt];
    let waits = first.waits;
    let waitedMs = 0;
    let poll = FIRST_POLL_MS;
    for (let round = 0; round < MAX_WAITS && waits.length > 0; round++) {
      const soonest = Math.min(...waits.map((w) => w.ms)) + WAIT_SLACK_MS;
      const ms = Math.min(poll, soonest, deadline - performance.now());
      if (ms < FIRST_POLL_MS) break;
      poll *= 2;
      await sleep(ms);
      waitedMs += ms;
      const waiting = waits;
      const again = await tier.claim(
        waiting.map((w) => keys[w.index]!),
        { leaseMs: timing.leaseMs(), mode, owner: first.ticket.owner },
      );
      // A window boundary passed while waiting on some shards: a ticket names one bucket per shard,
      // so what those shards leased in the new bucket goes back and stays IN_PROGRESS (retried). The
      // other shards leased in the ticket's bucket: their answers stand (left IN_PROGRESS, such a
      // key would be completed unprocessed by the owner's complete).
      const moved = tier.movedOff(first.ticket, again.ticket);
      if (moved) await tier.release(moved);
      const stands = (j: number) =>
        !moved || moved.buckets[tier.shardIndex(keys[waiting[j]!.index]!)] === undefined;
      for (let j = 0; j < waiting.length; j++)
        if (stands(j)) statuses[waiting[j]!.index] = again.statuses[j]!;
      for (const d of again.inDoubt)
        if (stands(d.index)) inDoubt.push({ ...d, index: waiting[d.index]!.index });
      if (moved) break;
      waits = again.waits.map((w) => ({ index: waiting[w.index]!.index, ms: w.ms }));
    }
    if (waitedMs > 0)
      this.#options.onEvent?.({ type: 'lease-wait', ms: Math.round(waitedMs), keys: first.waits.length });
    return { statuses, ticket: first.ticket, inDoubt, degraded: false, waitedMs };
  }

  async #giveBackLost(tier: ShardedDedupTier, lost: LostClaim, unreachable: boolean): Promise<void> {
    if (!unreachable) {
      try {
        await tier.release(lost);
        return;
      } catch (error) {
        this.#options.onError(error);
      }
    }
    this.#late.keep({ kind: 'release', ticket: lost });
  }

  /** Sends the completes and releases that failed earlier; what fails again stays for next time. */
  async #settleLate(tier: ShardedDedupTier): Promise<void> {
    const settled = await this.#late.send(tier, this.#options.onError);
    if (settled > 0) this.#options.onEvent?.({ type: 'late-settlement', owners: settled });
  }

  /**
   * Completes `completed` and releases `released`; a failure is reported, not thrown, and the same
   * call is sent again before the next claim.
   */
  public async complete(
    ticket: DedupTicket,
    completed: readonly DerivedKey[],
    released: readonly DerivedKey[],
  ): Promise<void> {
    try {
      await (await this.#redisTier()).complete(ticket, completed, released);
    } catch (error) {
      // Sent again before the next claim; until then the keys wait under this invocation's lease.
      this.#late.keep({ kind: 'complete', ticket, completed, released });
      this.#options.onError(error);
    }
  }

  /**
   * Gives every lease of `ticket` back; a failure is reported and the release sent again later.
   * `doubts`, the claim's keys in doubt when it is given back before they were settled, go back to
   * their dead owners first (decision 0006).
   */
  public async release(ticket: DedupTicket, doubts: readonly InDoubtKey[] = []): Promise<void> {
    try {
      await releaseWithDoubts(await this.#redisTier(), ticket, doubts);
    } catch (error) {
      this.#late.keep({ kind: 'release', ticket, doubts });
      this.#options.onError(error);
    }
  }

  #redisTier(): Promise<ShardedDedupTier> {
    this.#tier ??= (async () => {
      const { cache, baseKey, windowMs, bloom, shards } = this.#options;
      const runner: ScriptRunner = typeof cache === 'function' ? await cache() : cache;
      return new ShardedDedupTier({
        runner,
        baseKey: baseKey(),
        windowMs,
        shards,
        ...(bloom ? { bloom } : {}),
      });
    })().catch((error: unknown) => {
      this.#tier = undefined;
      // A configuration the tier refuses is not an outage: `onCacheUnavailable` must not hide it.
      if (error instanceof ConfigurationError) throw error;
      throw new CacheUnavailableError(`Could not create the cache client: ${(error as Error).message}`, {
        cause: error,
      });
    });
    return this.#tier;
  }
}

/**
 * Until when (performance.now()) a claim may wait, for leases or for the cache to come back: the
 * invocation's remaining time less the handler's reserve. Measured here, not read again from the
 * context, so a context whose clock stands still is bounded too.
 */
function waitDeadline(timing: ClaimTiming): number {
  const remaining = timing.remainingMs();
  return performance.now() + remaining - Math.max(MIN_RESERVE_MS, remaining / 4);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
