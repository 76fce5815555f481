import type { Context } from 'aws-lambda';
import type { ScriptRunner } from '../cache/script-runner.ts';
import { CacheUnavailableError } from '../errors.ts';
import type { DerivedKey } from '../keys/index.ts';
import type { MskGuardOptions, ResolvedOptions } from '../middleware/options.ts';
import type { GuardTelemetry } from '../middleware/telemetry.ts';
import { LocalBloomFilter } from './bloom/local-filter.ts';
import { type ClaimStatus, type ClaimTicket, RedisDedupTier, type TierKey } from './exact.ts';

/** What one claim round trip answered, aligned with the keys claimed. */
export interface ClaimOutcome {
  readonly statuses: readonly ClaimStatus[];
  readonly ticket: ClaimTicket | undefined;
  /** Keys whose last owner died holding the lease (`index` into the keys claimed). */
  readonly inDoubt: readonly { key: TierKey; index: number; owner: string }[];
  /** The cache was unreachable under `onCacheUnavailable: 'degrade'`: nothing was claimed. */
  readonly degraded: boolean;
}

/**
 * The guard's cache side for one container: the Redis tier (created on first use, from the
 * configured client or client factory) and the local Bloom filter of keys completed here.
 * Completed keys reach the filter during the next invocation's claim, not on the settle path.
 */
export class CacheSide {
  readonly #cache: MskGuardOptions['cache'];
  readonly #resolved: ResolvedOptions;
  readonly #telemetry: GuardTelemetry;
  readonly #baseKey: () => string;
  readonly #filter: LocalBloomFilter;
  #tier: Promise<RedisDedupTier> | undefined;
  /** Completed keys not yet in the local filter: their slab and offsets, not the keys (below). */
  #unfiltered: { slab: Uint8Array; ats: Int32Array }[] = [];

  /** `baseKey` gives the group's Redis key prefix (`mskguard:{group}`), read on first use. */
  public constructor(
    cache: MskGuardOptions['cache'],
    resolved: ResolvedOptions,
    telemetry: GuardTelemetry,
    baseKey: () => string,
  ) {
    this.#cache = cache;
    this.#resolved = resolved;
    this.#telemetry = telemetry;
    this.#baseKey = baseKey;
    this.#filter = new LocalBloomFilter(resolved.localFilter);
  }

  /** The local filter (its keys are current after {@link CacheSide.fillFilter}). */
  public get filter(): LocalBloomFilter {
    return this.#filter;
  }

  /**
   * One claim round trip for `keys`. An unreachable cache under `onCacheUnavailable: 'degrade'`
   * yields `degraded` instead of a throw.
   */
  public async claim(
    keys: readonly DerivedKey[],
    context: Context,
    mode: 'exact' | 'probabilistic',
  ): Promise<ClaimOutcome> {
    const none: ClaimOutcome = { statuses: [], ticket: undefined, inDoubt: [], degraded: false };
    if (keys.length === 0) return none;
    try {
      const tier = await this.#redisTier();
      const leaseMs = context.getRemainingTimeInMillis() + this.#resolved.leaseMarginMs;
      const claimed = await tier.claim(keys, { leaseMs, mode });
      return {
        statuses: claimed.statuses,
        ticket: claimed.ticket,
        inDoubt: claimed.inDoubt,
        degraded: false,
      };
    } catch (error) {
      this.#telemetry.cacheError(error);
      if (!(error instanceof CacheUnavailableError) || this.#resolved.onCacheUnavailable !== 'degrade')
        throw error;
      return { ...none, degraded: true };
    }
  }

  /** Completes `completed` and releases `released`; a failure is reported, not thrown. */
  public async complete(
    ticket: ClaimTicket,
    completed: readonly DerivedKey[],
    released: readonly DerivedKey[],
  ): Promise<void> {
    try {
      await (await this.#redisTier()).complete(ticket, completed, released);
    } catch (error) {
      // The checkpoint still proves these offsets done; producer duplicates elsewhere wait for the lease.
      this.#telemetry.cacheError(error);
    }
  }

  /**
   * Gives every lease of `ticket` back. Should that fail, the leases expire on their own
   * (remaining time + margin): a retry waits, it never duplicates.
   */
  public async releaseQuietly(ticket: ClaimTicket): Promise<void> {
    try {
      await (await this.#redisTier()).release(ticket);
    } catch (error) {
      this.#telemetry.cacheError(error);
    }
  }

  /** Adds the completed keys of earlier invocations to the local filter. */
  public fillFilter(): void {
    if (this.#unfiltered.length === 0) return;
    for (const { slab, ats } of this.#unfiltered) for (const at of ats) this.#filter.addAt(slab, at);
    this.#unfiltered = [];
  }

  /**
   * Keeps where the completed keys' digests are (their slab and offsets), not the keys: a key
   * holds its record, and the whole batch would otherwise stay alive until the next invocation.
   */
  public rememberCompleted(completed: readonly DerivedKey[]): void {
    for (let i = 0; i < completed.length; ) {
      const slab = completed[i]!.slab;
      let j = i;
      while (j < completed.length && completed[j]!.slab === slab) j++;
      const ats = new Int32Array(j - i);
      for (let k = i; k < j; k++) ats[k - i] = completed[k]!.at;
      this.#unfiltered.push({ slab, ats });
      i = j;
    }
  }

  #redisTier(): Promise<RedisDedupTier> {
    this.#tier ??= (async () => {
      const cache = this.#cache;
      const runner: ScriptRunner = typeof cache === 'function' ? await cache() : cache;
      return new RedisDedupTier({
        runner,
        baseKey: this.#baseKey(),
        windowMs: this.#resolved.dedupWindowMs,
        bloom: this.#resolved.bloom,
      });
    })().catch((error: unknown) => {
      this.#tier = undefined;
      throw new CacheUnavailableError(`Could not create the cache client: ${(error as Error).message}`, {
        cause: error,
      });
    });
    return this.#tier;
  }
}
