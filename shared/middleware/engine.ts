import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import type { CheckpointUpdate, WatermarkSnapshot } from '../checkpoints/types.ts';
import { CacheSide, type ClaimOutcome } from '../dedup/cache.ts';
import type { ClaimStatus, ClaimTicket } from '../dedup/exact.ts';
import { isReplay, planBatch, type RecordFate } from '../dedup/plan.ts';
import { checkpointUpdates, loadEarly, settleDoubts } from '../dedup/watermark.ts';
import { createKeyDeriver, type DerivedKey, type KeyDeriver, type KeyResult } from '../keys/index.ts';
import {
  buildMskEventFromPartitions,
  interpretBatchResponse,
  type KafkaEvent,
  type ParsedBatch,
  type ParsedRecord,
  parseMskEvent,
  toBatchItemFailures,
} from '../msk/index.ts';
import { parseMskEventDeferred } from '../msk/parse.ts';
import { distinctKeys, oldestAgeSeconds, processedPartitions, samePartitions } from './batch-shape.ts';
import { openStaging } from './effects.ts';
import {
  keyOptions,
  type MskGuardOptions,
  type QuarantineEntry,
  type ResolvedOptions,
  resolveOptions,
} from './options.ts';
import { createTelemetry, type GuardTelemetry } from './telemetry.ts';

/** The state of one invocation between `prepare` and `settle` / `abandon`. */
export interface PreparedBatch {
  readonly batch: ParsedBatch;
  /** The fate of each record, aligned with `batch.records`. */
  readonly fates: readonly RecordFate[];
  readonly epoch: number;
  readonly watermarks: ReadonlyMap<string, number>;
  readonly ticket: ClaimTicket | undefined;
  readonly degraded: boolean;
  /** Records handed to the handler, in batch order. */
  readonly toProcess: readonly ParsedRecord[];
  /** The event the handler receives: the original shape with only `toProcess`. */
  readonly handlerEvent: KafkaEvent;
  readonly requestId: string;
  readonly dedupMs: number;
  /** Keys a dead invocation had committed (in doubt, then proven): leased here only to be completed. */
  readonly repaired: readonly DerivedKey[];
  /** DynamoDB writes the handler staged (`stageEffects`): committed with the checkpoints. */
  readonly effects: readonly TransactWriteItem[];
  /** Age of the oldest checkpoint of the batch's partitions, seconds (by this machine's clock: a metric, never a decision). */
  readonly checkpointAgeSeconds: number | undefined;
}

/**
 * mskguard's per-batch logic, independent of Middy: `prepare` (parse, watermark, keys, claim,
 * plan: one DynamoDB and one Redis round trip) before the handler; `settle` (complete and
 * checkpoint, concurrently: one round trip each) after it; `abandon` (release: one round trip)
 * when it throws. The container-wide state is the cache side (the Redis tier, created on first
 * use, and the local filter: cache-side.ts) and the key derivers; the DynamoDB side is in
 * watermarks.ts.
 */
export class GuardEngine {
  readonly #options: MskGuardOptions;
  readonly #resolved: ResolvedOptions;
  readonly #cache: CacheSide;
  readonly #derivers = new Map<number, KeyDeriver>();
  readonly #telemetry: GuardTelemetry;
  /** The group's dedup epoch as last read: keys are derived with it while the read is in flight. */
  #epoch = 0;
  /**
   * Whether the payload checks of an event (base64, header bytes) may wait until the claim is in
   * flight: only when keys come from headers or record keys, never from user code (a key function,
   * a JSON path into the value) that would see bytes not yet known to be valid.
   */
  readonly #deferChecks: boolean;

  public constructor(options: MskGuardOptions) {
    this.#resolved = resolveOptions(options);
    this.#options = options;
    this.#telemetry = createTelemetry(options, this.#resolved.consumerGroup);
    this.#cache = new CacheSide(options.cache, this.#resolved, this.#telemetry, () =>
      this.#deriver(0).namespace.prefix.slice(0, -1),
    );
    this.#deferChecks = this.#deriver(0).options.sources.every(
      (source) => source.type === 'header' || source.type === 'recordKey',
    );
  }

  public get telemetry(): GuardTelemetry {
    return this.#telemetry;
  }

  public async prepare(event: unknown, context: Context): Promise<PreparedBatch> {
    const started = performance.now();
    const { consumerGroup, mode } = this.#resolved;
    // The watermark read needs only the partitions: it goes out before the records are parsed and
    // keyed, and is used if the parse agrees on the partitions (it always does for a valid event).
    const early = loadEarly(this.#options.checkpoints, consumerGroup, event);
    // The event's shape is checked now; its payloads' bytes (base64, headers) while the claim is
    // out, unless keys come from user code. A failure then releases the claim and rejects the event.
    const { batch, verify } = this.#deferChecks
      ? parseMskEventDeferred(event)
      : { batch: parseMskEvent(event), verify: undefined };
    const partitions = batch.partitions.map(({ topic, partition }) => ({ topic, partition }));
    const load =
      early && samePartitions(early.partitions, partitions)
        ? early.snapshot
        : this.#options.checkpoints
          ? this.#options.checkpoints.load(consumerGroup, partitions)
          : Promise.resolve<WatermarkSnapshot>({ epoch: 0, checkpoints: new Map() });
    // The watermark read and the claim go out together: keys are derived with the epoch this
    // container saw last (it changes only on a `reprocess` restore, then the claim is redone).
    const claimMode = mode === 'probabilistic' && batch.records.some(isReplay) ? 'exact' : mode;
    let epoch = this.#epoch;
    // The probabilistic fast path reads the filter before the claim: it must be current then.
    if (mode === 'probabilistic') this.#cache.fillFilter();
    let keyed = this.#keyBatch(batch, epoch, verify);
    const sent = await this.#claimWhileChecking(load, keyed.claimKeys, context, claimMode, verify);
    let claim = sent.claim;
    const snapshot = sent.snapshot;
    if (snapshot.epoch !== epoch) {
      if (claim.ticket) await this.#cache.releaseQuietly(claim.ticket);
      epoch = snapshot.epoch;
      keyed = this.#keyBatch(batch, epoch);
      claim = await this.#cache.claim(keyed.claimKeys, context, claimMode);
    }
    this.#epoch = epoch;
    const deriver = this.#deriver(epoch);
    const watermarks = new Map<string, number>();
    for (const [partitionKey, checkpoint] of snapshot.checkpoints)
      watermarks.set(partitionKey, checkpoint.nextOffset);
    const { keys, slots, slotKeys, locallySeen, toClaim } = keyed;
    const ticket = claim.ticket;
    const degraded = claim.degraded;
    // Claim status per slot (distinct key of the batch).
    const statuses = new Array<ClaimStatus | undefined>(slotKeys.length);
    for (let c = 0; c < toClaim.length; c++) statuses[toClaim[c]!] = claim.statuses[c];
    if (degraded) {
      for (const slot of toClaim) {
        const key = slotKeys[slot]!;
        if (this.#cache.filter.hasAt(key.slab, key.at)) locallySeen[slot] = 1;
      }
    }
    const repaired = await settleDoubts(
      this.#options.checkpoints,
      consumerGroup,
      claim.inDoubt,
      toClaim,
      statuses,
    );

    const fates = planBatch({
      batch,
      watermarks,
      keys,
      slots,
      statuses,
      locallySeen,
      mode,
      claimMode,
      degraded,
      onMissingKey: this.#resolved.onMissingKey,
      missingKeyError: (record) => deriver.missingKeyError({ missing: true, record }),
    });
    await this.#quarantine(batch, fates, ticket, repaired);
    const { toProcess, partitions: kept } = processedPartitions(batch, fates);
    const prepared: PreparedBatch = {
      batch,
      fates,
      epoch: snapshot.epoch,
      watermarks,
      ticket,
      degraded,
      toProcess,
      handlerEvent: buildMskEventFromPartitions(batch.event as KafkaEvent, kept),
      requestId: context.awsRequestId,
      effects: this.#options.checkpoints ? openStaging(context, batch.partitions.length) : [],
      repaired,
      dedupMs: performance.now() - started,
      checkpointAgeSeconds: oldestAgeSeconds([...snapshot.checkpoints.values()].map((c) => c.updatedAt)),
    };
    this.#telemetry.prepared(prepared);
    return prepared;
  }

  /**
   * Sends the claim beside the watermark read already out, and while both are in flight runs the
   * event's payload checks (`verify`) and adds last invocation's completed keys to the local filter
   * (a macrotask: the clients send first; at the latest right after, before anything reads them).
   * A bad event, then an unreadable watermark, fails the invocation; the claim is given back first
   * (its leases would otherwise hold the keys until they expire) and nothing reaches the handler.
   */
  async #claimWhileChecking(
    load: Promise<WatermarkSnapshot>,
    claimKeys: readonly DerivedKey[],
    context: Context,
    claimMode: 'exact' | 'probabilistic',
    verify: (() => void) | undefined,
  ): Promise<{ snapshot: WatermarkSnapshot; claim: ClaimOutcome }> {
    const settled = Promise.allSettled([load, this.#cache.claim(claimKeys, context, claimMode)]);
    let failure: { error: unknown } | undefined;
    let checked = verify === undefined;
    const whileOut = () => {
      this.#cache.fillFilter();
      if (checked) return;
      checked = true;
      try {
        verify!();
      } catch (error) {
        failure = { error };
      }
    };
    const out = setImmediate(whileOut);
    const [loaded, claimed] = await settled;
    clearImmediate(out);
    whileOut();
    if (!failure && loaded.status === 'rejected') failure = { error: loaded.reason };
    if (failure) {
      if (claimed.status === 'fulfilled' && claimed.value.ticket)
        await this.#cache.releaseQuietly(claimed.value.ticket);
      throw failure.error;
    }
    if (claimed.status === 'rejected') throw claimed.reason;
    return { snapshot: (loaded as PromiseFulfilledResult<WatermarkSnapshot>).value, claim: claimed.value };
  }

  /**
   * After the handler returned: completes what succeeded, releases what Lambda will deliver again,
   * checkpoints each partition up to its first record still to be retried, and answers Lambda.
   */
  public async settle(prepared: PreparedBatch, response: unknown): Promise<unknown> {
    const started = performance.now();
    const outcome = interpretBatchResponse(prepared.toProcess, response);
    if (outcome.status === 'invalid') {
      this.#telemetry.invalidResponse(outcome.reason ?? 'invalid');
      await this.abandon(prepared);
      return response;
    }
    // One pass: a processed record succeeded unless Lambda will redeliver its partition from it.
    const handlerRetry = outcome.retryFrom;
    const retry = new Map<string, number>(handlerRetry);
    const { fates, batch } = prepared;
    // Sized for the usual case (every record completed) and trimmed: no growth copies.
    const completed = new Array<DerivedKey>(fates.length);
    let done = 0;
    const released: DerivedKey[] = [];
    for (let i = 0; i < fates.length; i++) {
      const fate = fates[i]!;
      const record = batch.records[i]!;
      if (fate.kind === 'retry') {
        const current = retry.get(record.partitionKey);
        if (current === undefined || record.offset < current) retry.set(record.partitionKey, record.offset);
      } else if (
        (fate.kind === 'process' || fate.kind === 'deferred' || fate.kind === 'quarantine') &&
        fate.key
      ) {
        const from = handlerRetry.get(record.partitionKey);
        if (fate.kind === 'process' && (from === undefined || record.offset < from))
          completed[done++] = fate.key;
        else if (fate.leased) released.push(fate.key);
      }
    }
    completed.length = done;
    completed.push(...prepared.repaired);
    // Without a checkpoint store nothing is written, and telemetry must not count it as written.
    const updates = this.#options.checkpoints
      ? checkpointUpdates(prepared.batch, prepared.watermarks, retry)
      : [];
    if (prepared.effects.length > 0) {
      // Effects commit with the checkpoints: complete only after they are durable, or a crash in
      // between would leave keys COMPLETED whose effects were never written.
      await this.#checkpoint(prepared, updates);
      await this.#complete(prepared, completed, released);
    } else {
      await Promise.all([this.#complete(prepared, completed, released), this.#checkpoint(prepared, updates)]);
    }
    // Into the local filter during the next claim's round trip, not on this invocation's path.
    this.#cache.rememberCompleted(completed);
    this.#telemetry.settled(prepared, {
      completed: completed.length,
      released: released.length,
      updates,
      ms: performance.now() - started,
    });
    if (retry.size === 0) return response;
    return toBatchItemFailures([...retry].map(([partitionKey, offset]) => ({ partitionKey, offset })));
  }

  /** The handler threw (or its response is unusable): release every lease so a retry can process. */
  public async abandon(prepared: PreparedBatch): Promise<void> {
    if (prepared.ticket) await this.#giveBack(prepared.ticket, prepared.fates, prepared.repaired);
  }

  /**
   * Gives the batch's leases back so a retry can process their keys, except the keys a dead
   * invocation was proven to have committed (`repaired`): those are completed. Their leases name
   * this invocation now, not the dead one, so a release would have the next delivery take them
   * for new. Should the call fail, the leases expire on their own (remaining time + margin): a
   * retry waits, it never duplicates.
   */
  async #giveBack(
    ticket: ClaimTicket,
    fates: readonly RecordFate[],
    repaired: readonly DerivedKey[],
  ): Promise<void> {
    if (repaired.length === 0) return this.#cache.releaseQuietly(ticket);
    const released: DerivedKey[] = [];
    for (const fate of fates) if ('leased' in fate && fate.leased && fate.key) released.push(fate.key);
    await this.#cache.complete(ticket, repaired, released);
  }

  #complete(prepared: PreparedBatch, completed: DerivedKey[], released: DerivedKey[]): Promise<void> {
    return prepared.ticket ? this.#cache.complete(prepared.ticket, completed, released) : Promise.resolve();
  }

  async #checkpoint(prepared: PreparedBatch, updates: CheckpointUpdate[]): Promise<void> {
    const store = this.#options.checkpoints;
    if (!store || (updates.length === 0 && prepared.effects.length === 0)) return;
    await store.advance(this.#resolved.consumerGroup, updates, {
      requestId: prepared.requestId,
      epoch: prepared.epoch,
      effects: prepared.effects,
      ...(prepared.ticket ? { owner: prepared.ticket.owner } : {}),
    });
  }

  async #quarantine(
    batch: ParsedBatch,
    fates: readonly RecordFate[],
    ticket: ClaimTicket | undefined,
    repaired: readonly DerivedKey[],
  ): Promise<void> {
    const entries: QuarantineEntry[] = [];
    for (let i = 0; i < fates.length; i++) {
      const fate = fates[i]!;
      if (fate.kind !== 'quarantine') continue;
      const record = batch.records[i]!;
      entries.push({
        group: this.#resolved.consumerGroup,
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        key: record.raw.key ?? null,
        value: record.raw.value ?? null,
        headers: record.headers,
        idempotencyKey: fate.key.id,
        reason: 'probable-duplicate',
      });
    }
    if (entries.length === 0) return;
    try {
      await this.#options.quarantine?.put(entries);
    } catch (error) {
      // A record is withheld only once it is stored (G2): give the leases back and fail the batch.
      if (ticket) await this.#giveBack(ticket, fates, repaired);
      throw error;
    }
  }

  /**
   * Keys of every record (the watermark is not known yet), grouped into slots (one per distinct
   * key id, first occurrence first), and the slots to claim. Arrays, not maps, on this path.
   * `verify`: the event's deferred payload checks, run should the derivation throw.
   */
  #keyBatch(batch: ParsedBatch, epoch: number, verify?: () => void) {
    let keys: KeyResult[];
    try {
      keys = this.#deriver(epoch)(batch.records, { deferredChecks: this.#deferChecks });
    } catch (error) {
      // With checks deferred, key headers are read unchecked, and an element no byte could be (an
      // object, say) throws there: the payload checks then name the record and the reason.
      verify?.();
      throw error;
    }
    const { slots, slotKeys } = distinctKeys(keys);
    const locallySeen = new Uint8Array(slotKeys.length);
    const toClaim = new Array<number>(slotKeys.length);
    let claimed = 0;
    const fastPath = this.#resolved.mode === 'probabilistic';
    for (let slot = 0; slot < slotKeys.length; slot++) {
      const key = slotKeys[slot]!;
      if (fastPath && !isReplay(key.record) && this.#cache.filter.hasAt(key.slab, key.at))
        locallySeen[slot] = 1;
      else toClaim[claimed++] = slot;
    }
    toClaim.length = claimed;
    const claimKeys = new Array<DerivedKey>(toClaim.length);
    for (let c = 0; c < toClaim.length; c++) claimKeys[c] = slotKeys[toClaim[c]!]!;
    return { keys, slots, slotKeys, locallySeen, toClaim, claimKeys };
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
