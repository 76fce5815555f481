import type { Context } from 'aws-lambda';
import { BatchKeys } from '../dedup/batch-keys.ts';
import { CacheTiers, type ClaimTiming } from '../dedup/cache.ts';
import { LocalFilterTier } from '../dedup/local-filter.ts';
import { leasedKeys } from '../dedup/outcomes.ts';
import type { RecordFate } from '../dedup/plan.ts';
import type { DedupTicket } from '../dedup/sharded.ts';
import { WatermarkTier } from '../dedup/watermark.ts';
import { createKeyDeriver, type DerivedKey, type KeyDeriver } from '../keys/index.ts';
import type { ParsedBatch } from '../msk/index.ts';
import { keyOptions, type MskGuardOptions, type ResolvedOptions, resolveOptions } from './options.ts';
import { createTelemetry, type GuardTelemetry } from './telemetry.ts';

/**
 * What one guard keeps for the life of its container: its options, the tiers (dedup/), the key
 * derivers per epoch and the telemetry. admit.ts and settle.ts run a batch's steps against it.
 */
export class GuardState {
  public readonly options: MskGuardOptions;
  public readonly resolved: ResolvedOptions;
  public readonly watermark: WatermarkTier;
  public readonly cache: CacheTiers;
  public readonly local: LocalFilterTier;
  public readonly telemetry: GuardTelemetry;
  /** The group's dedup epoch as last read: keys are derived with it while the read is in flight. */
  public epoch = 0;
  /**
   * Keys from user code (a key function, a JSON path into the value) must not see bytes not yet
   * checked: the payload checks then run before the keys. Otherwise they run while the claim is
   * out (~1.5 ms of a 10,000-record batch, off the critical path: decision 0010).
   */
  public readonly checkBeforeKeys: boolean;
  readonly #derivers = new Map<number, KeyDeriver>();

  public constructor(options: MskGuardOptions) {
    this.resolved = resolveOptions(options);
    this.options = options;
    const group = this.resolved.consumerGroup;
    this.telemetry = createTelemetry(options, group);
    this.watermark = new WatermarkTier(options.checkpoints, group);
    this.local = new LocalFilterTier(this.resolved.localFilter);
    this.cache = new CacheTiers({
      cache: options.cache,
      baseKey: () => this.deriver(0).namespace.prefix.slice(0, -1),
      windowMs: this.resolved.dedupWindowMs,
      bloom: this.resolved.bloom,
      shards: this.resolved.cacheShards,
      onCacheUnavailable: this.resolved.onCacheUnavailable,
      onError: (error) => this.telemetry.cacheError(error),
      onEvent: (event) => this.telemetry.cacheEvent(event),
    });
    this.checkBeforeKeys = this.deriver(0).options.sources.some(
      (s) => s.type !== 'header' && s.type !== 'recordKey',
    );
  }

  /** The key deriver of one epoch, created once. */
  public deriver(epoch: number): KeyDeriver {
    let deriver = this.#derivers.get(epoch);
    if (!deriver) {
      deriver = createKeyDeriver(keyOptions(this.options, epoch));
      this.#derivers.set(epoch, deriver);
    }
    return deriver;
  }

  /** How long a claim may lease and wait, from the invocation's remaining time. */
  public timing(context: Context): ClaimTiming {
    return {
      remainingMs: () => context.getRemainingTimeInMillis(),
      leaseMs: () => context.getRemainingTimeInMillis() + this.resolved.leaseMarginMs,
    };
  }

  /**
   * The batch's keys (dedup/batch-keys.ts); a probabilistic claim's fast path asks the local filter
   * first. A batch holding a replay is claimed exactly (admit.ts), so it has no fast path: a slot is
   * decided by its first record, and a replay of the same key later in the batch must be claimed,
   * or it would be left without a status.
   */
  public keysOf(
    batch: ParsedBatch,
    epoch: number,
    claimMode: 'exact' | 'probabilistic',
    verify?: () => void,
  ): BatchKeys {
    const fastPath = claimMode === 'probabilistic';
    if (fastPath) this.local.fill();
    try {
      return new BatchKeys(
        batch.records,
        this.deriver(epoch),
        fastPath ? (key) => this.local.has(key) : undefined,
      );
    } catch (error) {
      // Key headers are read unchecked: an element no byte could be throws there, and the payload
      // checks then name the record and the reason.
      verify?.();
      throw error;
    }
  }

  /**
   * Releases the batch's leases, except keys a dead invocation was proven to have committed
   * (`repaired`): those are completed, since their leases name this invocation now and a release
   * would have the next delivery take them for new.
   */
  public giveBack(
    ticket: DedupTicket,
    fates: readonly RecordFate[],
    repaired: readonly DerivedKey[],
  ): Promise<void> {
    if (repaired.length === 0) return this.cache.release(ticket);
    return this.cache.complete(ticket, repaired, leasedKeys(fates));
  }
}
