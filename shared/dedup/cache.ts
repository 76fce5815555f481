import type { ScriptRunner } from '../cache/script-runner.ts';
import { CacheUnavailableError } from '../errors.ts';
import type { DerivedKey } from '../keys/index.ts';
import type { DistributedBloomParams } from './distributed-bloom.ts';
import { type ClaimStatus, type ClaimTicket, RedisDedupTier, type TierKey } from './exact.ts';

/** What one claim round trip answered, per claim (aligned with the keys claimed). */
export interface ClaimOutcome {
  readonly statuses: readonly ClaimStatus[];
  readonly ticket: ClaimTicket | undefined;
  /** Keys whose last owner died holding the lease (`index`: the claim). */
  readonly inDoubt: readonly { key: TierKey; index: number; owner: string }[];
  /** The cache was unreachable under `onCacheUnavailable: 'degrade'`: nothing was claimed. */
  readonly degraded: boolean;
}

/** Options of {@link CacheTiers}. */
export interface CacheTiersOptions {
  /** The runner, or a function creating it on first use (e.g. after reading a secret). */
  readonly cache: ScriptRunner | (() => ScriptRunner | Promise<ScriptRunner>);
  /** The group's Redis key prefix, `mskguard:{group}`, read on first use. */
  readonly baseKey: () => string;
  readonly windowMs: number;
  readonly bloom: DistributedBloomParams | undefined;
  readonly onCacheUnavailable: 'fail' | 'degrade';
  /** Told of every cache error (counted and logged by the caller), thrown or not. */
  readonly onError: (error: unknown) => void;
}

/**
 * The cache-backed tiers (exact, and distributed Bloom when on) as one container uses them: the
 * Redis tier is created on first use, an unreachable cache degrades or fails as configured, and
 * after the handler nothing fails the invocation: a lease that could not be completed or released
 * expires on its own (remaining time + margin), so a retry waits, it never duplicates.
 */
export class CacheTiers {
  readonly #options: CacheTiersOptions;
  #tier: Promise<RedisDedupTier> | undefined;

  public constructor(options: CacheTiersOptions) {
    this.#options = options;
  }

  /** One claim round trip for `keys`, leased for `leaseMs`. */
  public async claim(
    keys: readonly DerivedKey[],
    leaseMs: number,
    mode: 'exact' | 'probabilistic',
  ): Promise<ClaimOutcome> {
    if (keys.length === 0) return { statuses: [], ticket: undefined, inDoubt: [], degraded: false };
    try {
      const claimed = await (await this.#redisTier()).claim(keys, { leaseMs, mode });
      return { ...claimed, degraded: false };
    } catch (error) {
      this.#options.onError(error);
      if (!(error instanceof CacheUnavailableError) || this.#options.onCacheUnavailable !== 'degrade')
        throw error;
      return { statuses: [], ticket: undefined, inDoubt: [], degraded: true };
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
      this.#options.onError(error);
    }
  }

  /** Gives every lease of `ticket` back; a failure is reported, not thrown. */
  public async release(ticket: ClaimTicket): Promise<void> {
    try {
      await (await this.#redisTier()).release(ticket);
    } catch (error) {
      this.#options.onError(error);
    }
  }

  #redisTier(): Promise<RedisDedupTier> {
    this.#tier ??= (async () => {
      const { cache, baseKey, windowMs, bloom } = this.#options;
      const runner: ScriptRunner = typeof cache === 'function' ? await cache() : cache;
      return new RedisDedupTier({ runner, baseKey: baseKey(), windowMs, bloom });
    })().catch((error: unknown) => {
      this.#tier = undefined;
      throw new CacheUnavailableError(`Could not create the cache client: ${(error as Error).message}`, {
        cause: error,
      });
    });
    return this.#tier;
  }
}
