import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { BatchKeys } from '../dedup/batch-keys.ts';
import { CacheTiers, type ClaimTiming } from '../dedup/cache.ts';
import { claimWhileChecking } from '../dedup/claim.ts';
import type { ClaimTicket } from '../dedup/exact.ts';
import { resolveDoubts } from '../dedup/in-doubt.ts';
import { LocalFilterTier } from '../dedup/local-filter.ts';
import { batchOutcomes, leasedKeys } from '../dedup/outcomes.ts';
import { isReplay, planBatch, type RecordFate } from '../dedup/plan.ts';
import { checkpointUpdates, WatermarkTier, watermarksOf } from '../dedup/watermark.ts';
import { createKeyDeriver, type DerivedKey, type KeyDeriver } from '../keys/index.ts';
import { type ParsedBatch, parseMskEvent, toBatchItemFailures } from '../msk/index.ts';
import { parseMskEventDeferred } from '../msk/parse.ts';
import { quarantineEntries } from '../quarantine/entries.ts';
import { openStaging } from './effects.ts';
import { type HandlerBatch, handOver } from './handler-batch.ts';
import { keyOptions, type MskGuardOptions, type ResolvedOptions, resolveOptions } from './options.ts';
import { type BatchReport, countFates, oldestAgeSeconds } from './report.ts';
import { createTelemetry, type GuardTelemetry } from './telemetry.ts';

/** One invocation's state between `admit` and `settle` / `abandon` (kept in `request.internal`). */
export interface AdmittedBatch {
  readonly batch: ParsedBatch;
  /** The fate of each record, aligned with `batch.records`. */
  readonly fates: readonly RecordFate[];
  readonly epoch: number;
  readonly watermarks: ReadonlyMap<string, number>;
  readonly ticket: ClaimTicket | undefined;
  /** Keys a dead invocation was proven to have committed: leased here only to be completed. */
  readonly repaired: readonly DerivedKey[];
  readonly handler: HandlerBatch;
  /** DynamoDB writes the handler staged (`stageEffects`): committed with the checkpoints. */
  readonly effects: readonly TransactWriteItem[];
  readonly requestId: string;
  readonly report: BatchReport;
}

/**
 * A batch's path, step by step, each step in its own file: parse (msk/parse.ts) → keys and in-batch
 * duplicates (dedup/batch-keys.ts) → watermark read (dedup/watermark.ts) and claim (dedup/cache.ts,
 * exact.ts) in flight together → in-doubt keys (dedup/in-doubt.ts) → plan (dedup/plan.ts) →
 * quarantine → the handler (handler-batch.ts) → outcomes (dedup/outcomes.ts) → complete and
 * checkpoint, one round trip each. One DynamoDB and one Redis round trip before the handler, the
 * same after it. Container-wide state: the tiers and the key derivers.
 */
export class GuardEngine {
  readonly #options: MskGuardOptions;
  readonly #resolved: ResolvedOptions;
  readonly #watermark: WatermarkTier;
  readonly #cache: CacheTiers;
  readonly #local: LocalFilterTier;
  readonly #derivers = new Map<number, KeyDeriver>();
  public readonly telemetry: GuardTelemetry;
  /** The group's dedup epoch as last read: keys are derived with it while the read is in flight. */
  #epoch = 0;
  /**
   * Keys from user code (a key function, a JSON path into the value) must not see bytes not yet
   * checked: the payload checks then run before the keys. Otherwise they run while the claim is
   * out (~1.5 ms of a 10,000-record batch, off the critical path: decision 0010).
   */
  readonly #checkBeforeKeys: boolean;

  public constructor(options: MskGuardOptions) {
    this.#resolved = resolveOptions(options);
    this.#options = options;
    const group = this.#resolved.consumerGroup;
    this.telemetry = createTelemetry(options, group);
    this.#watermark = new WatermarkTier(options.checkpoints, group);
    this.#local = new LocalFilterTier(this.#resolved.localFilter);
    this.#cache = new CacheTiers({
      cache: options.cache,
      baseKey: () => this.#deriver(0).namespace.prefix.slice(0, -1),
      windowMs: this.#resolved.dedupWindowMs,
      bloom: this.#resolved.bloom,
      onCacheUnavailable: this.#resolved.onCacheUnavailable,
      onError: (error) => this.telemetry.cacheError(error),
      onEvent: (event) => this.telemetry.cacheEvent(event),
    });
    this.#checkBeforeKeys = this.#deriver(0).options.sources.some(
      (s) => s.type !== 'header' && s.type !== 'recordKey',
    );
  }

  /** Before the handler: decides each record's fate and hands on those to process. */
  public async admit(event: unknown, context: Context): Promise<AdmittedBatch> {
    const started = performance.now();
    const { mode, consumerGroup } = this.#resolved;
    const { batch, verify } = this.#checkBeforeKeys
      ? { batch: parseMskEvent(event), verify: undefined }
      : parseMskEventDeferred(event);
    const watermarkRead = this.#watermark.read(batch.partitions);
    // A replayed quarantined record is claimed exactly: Bloom signals alone never quarantine it again.
    const claimMode = mode === 'probabilistic' && batch.records.some(isReplay) ? 'exact' : mode;
    let keys = this.#keysOf(batch, this.#epoch, verify);
    const timing: ClaimTiming = {
      remainingMs: () => context.getRemainingTimeInMillis(),
      leaseMs: () => context.getRemainingTimeInMillis() + this.#resolved.leaseMarginMs,
    };
    const sent = await claimWhileChecking({
      cache: this.#cache,
      local: this.#local,
      watermarkRead,
      keys,
      timing,
      mode: claimMode,
      verify,
    });
    const snapshot = sent.snapshot;
    let claim = sent.claim;
    if (snapshot.epoch !== this.#epoch) {
      // A `reprocess` restore bumped the epoch: the keys change, so the claim is redone.
      if (claim.ticket) await this.#cache.release(claim.ticket);
      this.#epoch = snapshot.epoch;
      keys = this.#keysOf(batch, snapshot.epoch);
      claim = await this.#cache.claim(keys.claimKeys, timing, claimMode);
    }
    keys.applyClaim(claim.statuses);
    if (claim.degraded) keys.markClaimedSeen((key) => this.#local.has(key));
    const repaired =
      claim.inDoubt.length === 0
        ? []
        : resolveDoubts(
            claim.inDoubt,
            await this.#watermark.committedOwners(claim.inDoubt.map((d) => d.owner)),
            keys,
          );
    const watermarks = watermarksOf(snapshot);
    const deriver = this.#deriver(snapshot.epoch);
    const fates = planBatch({
      batch,
      watermarks,
      keys,
      mode,
      claimMode,
      degraded: claim.degraded,
      onMissingKey: this.#resolved.onMissingKey,
      missingKeyError: (record) => deriver.missingKeyError({ missing: true, record }),
    });
    const entries = quarantineEntries(consumerGroup, batch, fates);
    if (entries.length > 0) {
      // A record is withheld only once it is stored (G2): on failure the leases go back, the batch fails.
      await this.#options.quarantine?.put(entries).catch(async (error: unknown) => {
        if (claim.ticket) await this.#giveBack(claim.ticket, fates, repaired);
        throw error;
      });
    }
    const report: BatchReport = {
      records: batch.records.length,
      counts: countFates(fates),
      degraded: claim.degraded,
      leaseWaitMs: claim.waitedMs,
      checkpointAgeSeconds: oldestAgeSeconds([...snapshot.checkpoints.values()].map((c) => c.updatedAt)),
      dedupMs: performance.now() - started,
    };
    this.telemetry.prepared(report);
    return {
      batch,
      fates,
      epoch: snapshot.epoch,
      watermarks,
      ticket: claim.ticket,
      repaired,
      handler: handOver(batch, fates),
      effects: this.#watermark.enabled ? openStaging(context, batch.partitions.length) : [],
      requestId: context.awsRequestId,
      report,
    };
  }

  /** After the handler: completes what succeeded, releases what Lambda delivers again, checkpoints. */
  public async settle(admitted: AdmittedBatch, response: unknown): Promise<unknown> {
    const started = performance.now();
    const handlerRetry = admitted.handler.retryFrom(response);
    if (typeof handlerRetry === 'string') {
      this.telemetry.invalidResponse(handlerRetry);
      await this.abandon(admitted);
      return response;
    }
    const { batch, fates, ticket, effects } = admitted;
    const { completed, released, retry } = batchOutcomes(batch, fates, handlerRetry, admitted.repaired);
    const updates = this.#watermark.enabled ? checkpointUpdates(batch, admitted.watermarks, retry) : [];
    // The commit marker says "every key this owner leased is done" (in-doubt keys of a dead owner are
    // then duplicates). An owner that gives keys back has not done them all: no marker, so should
    // its leases expire unreleased, its keys are processed again rather than lost (G2; decision 0014).
    const owner = released.length === 0 ? ticket?.owner : undefined;
    const checkpoint = () => this.#watermark.advance(updates, { ...admitted, owner, effects });
    const complete = () => (ticket ? this.#cache.complete(ticket, completed, released) : Promise.resolve());
    // Effects commit with the checkpoints: complete only after they are durable, or a crash in
    // between would leave keys COMPLETED whose effects were never written.
    if (effects.length > 0) await checkpoint().then(complete);
    else await Promise.all([complete(), checkpoint()]);
    this.#local.remember(completed);
    this.telemetry.settled(admitted.report, {
      completed: completed.length,
      released: released.length,
      updates,
      ms: performance.now() - started,
    });
    if (retry.size === 0) return response;
    return toBatchItemFailures([...retry].map(([partitionKey, offset]) => ({ partitionKey, offset })));
  }

  /** The handler threw (or its response is unusable): give every lease back so a retry can process. */
  public async abandon(admitted: AdmittedBatch): Promise<void> {
    if (admitted.ticket) await this.#giveBack(admitted.ticket, admitted.fates, admitted.repaired);
  }

  /**
   * Releases the batch's leases, except keys a dead invocation was proven to have committed
   * (`repaired`): those are completed, since their leases name this invocation now and a release
   * would have the next delivery take them for new.
   */
  #giveBack(
    ticket: ClaimTicket,
    fates: readonly RecordFate[],
    repaired: readonly DerivedKey[],
  ): Promise<void> {
    if (repaired.length === 0) return this.#cache.release(ticket);
    return this.#cache.complete(ticket, repaired, leasedKeys(fates));
  }

  /** The batch's keys (dedup/batch-keys.ts); the probabilistic fast path asks the local filter first. */
  #keysOf(batch: ParsedBatch, epoch: number, verify?: () => void): BatchKeys {
    const fastPath = this.#resolved.mode === 'probabilistic';
    if (fastPath) this.#local.fill();
    try {
      return new BatchKeys(
        batch.records,
        this.#deriver(epoch),
        fastPath ? (key) => !isReplay(key.record) && this.#local.has(key) : undefined,
      );
    } catch (error) {
      // Key headers are read unchecked: an element no byte could be throws there, and the payload
      // checks then name the record and the reason.
      verify?.();
      throw error;
    }
  }

  #deriver(epoch: number): KeyDeriver {
    let deriver = this.#derivers.get(epoch);
    if (!deriver) {
      deriver = createKeyDeriver(keyOptions(this.#options, epoch));
      this.#derivers.set(epoch, deriver);
    }
    return deriver;
  }
}
