import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { LocalBloomFilter } from '#shared/bloom/local-filter.ts';
import type { ScriptRunner } from '#shared/cache/script-runner.ts';
import type { CheckpointUpdate } from '#shared/checkpoints/types.ts';
import { ClaimStatus, type ClaimTicket, RedisDedupTier, type TierKey } from '#shared/dedup/redis-tier.ts';
import { CacheUnavailableError } from '#shared/errors.ts';
import { createKeyDeriver, type DerivedKey, type KeyDeriver, type KeyResult } from '#shared/keys/index.ts';
import {
  buildMskEvent,
  interpretBatchResponse,
  type KafkaEvent,
  type ParsedBatch,
  type ParsedRecord,
  parseMskEvent,
  toBatchItemFailures,
} from '#shared/msk/index.ts';
import { openStaging } from './effects.ts';
import {
  keyOptions,
  type MskGuardOptions,
  type QuarantineEntry,
  type ResolvedOptions,
  resolveOptions,
} from './options.ts';
import { isReplay, planBatch, type RecordFate } from './plan.ts';
import { createTelemetry, type GuardTelemetry } from './telemetry.ts';

/** The state of one invocation between `prepare` and `settle` / `abandon`. */
export interface PreparedBatch {
  readonly batch: ParsedBatch;
  readonly fates: ReadonlyMap<ParsedRecord, RecordFate>;
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
 * when it throws. The container-wide state is the local filter and the lazily created clients.
 */
export class GuardEngine {
  readonly #options: MskGuardOptions;
  readonly #resolved: ResolvedOptions;
  readonly #filter: LocalBloomFilter;
  readonly #derivers = new Map<number, KeyDeriver>();
  readonly #telemetry: GuardTelemetry;
  #tier: Promise<RedisDedupTier> | undefined;

  public constructor(options: MskGuardOptions) {
    this.#resolved = resolveOptions(options);
    this.#options = options;
    this.#filter = new LocalBloomFilter(this.#resolved.localFilter);
    this.#telemetry = createTelemetry(options, this.#resolved.consumerGroup);
  }

  public get telemetry(): GuardTelemetry {
    return this.#telemetry;
  }

  public async prepare(event: unknown, context: Context): Promise<PreparedBatch> {
    const started = performance.now();
    const { consumerGroup, mode } = this.#resolved;
    const batch = parseMskEvent(event);
    const partitions = batch.partitions.map(({ topic, partition }) => ({ topic, partition }));
    const snapshot = this.#options.checkpoints
      ? await this.#options.checkpoints.load(consumerGroup, partitions)
      : { epoch: 0, checkpoints: new Map() };
    const watermarks = new Map([...snapshot.checkpoints].map(([k, c]) => [k, c.nextOffset]));

    const fresh = batch.records.filter((r) => r.offset >= (watermarks.get(r.partitionKey) ?? -1));
    const deriver = this.#deriver(snapshot.epoch);
    const results = deriver(fresh);
    const keys = new Map<ParsedRecord, KeyResult>(results.map((k) => [k.record, k]));

    const locallySeen = new Set<string>();
    const toClaim = new Map<string, DerivedKey>();
    for (const key of results) {
      if (key.missing || toClaim.has(key.id) || locallySeen.has(key.id)) continue;
      if (mode === 'probabilistic' && !isReplay(key.record) && this.#filter.has(key.digest))
        locallySeen.add(key.id);
      else toClaim.set(key.id, key);
    }

    let ticket: ClaimTicket | undefined;
    let degraded = false;
    let claimMode = mode;
    const repaired: DerivedKey[] = [];
    const claims = new Map<string, ClaimStatus>();
    if (toClaim.size > 0) {
      try {
        const tier = await this.#redisTier();
        const claimKeys = [...toClaim.values()];
        const leaseMs = context.getRemainingTimeInMillis() + this.#resolved.leaseMarginMs;
        // A replayed quarantined record must be leased even on a Bloom hit: claim in exact mode
        // then (the planner quarantines the other probable keys and settle releases their leases).
        claimMode = mode === 'probabilistic' && batch.records.some(isReplay) ? 'exact' : mode;
        const claimed = await tier.claim(claimKeys, { leaseMs, mode: claimMode });
        ticket = claimed.ticket;
        for (const [i, k] of claimKeys.entries()) claims.set(k.id, claimed.statuses[i] as ClaimStatus);
        repaired.push(...(await this.#settleDoubts(claimed.inDoubt, claims)));
      } catch (error) {
        if (!(error instanceof CacheUnavailableError) || this.#resolved.onCacheUnavailable !== 'degrade') {
          this.#telemetry.cacheError(error);
          throw error;
        }
        this.#telemetry.cacheError(error);
        degraded = true;
        for (const key of toClaim.values()) if (this.#filter.has(key.digest)) locallySeen.add(key.id);
      }
    }

    const fates = planBatch({
      batch,
      watermarks,
      keys,
      claims,
      locallySeen,
      mode,
      claimMode,
      degraded,
      onMissingKey: this.#resolved.onMissingKey,
      missingKeyError: (record) => deriver.missingKeyError({ missing: true, record }),
    });
    await this.#quarantine(fates, ticket);
    const toProcess = batch.records.filter((r) => fates.get(r)?.kind === 'process');
    const prepared: PreparedBatch = {
      batch,
      fates,
      epoch: snapshot.epoch,
      watermarks,
      ticket,
      degraded,
      toProcess,
      handlerEvent: buildMskEvent(batch.event as KafkaEvent, toProcess),
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
    const retry = new Map<string, number>(outcome.retryFrom);
    for (const [record, fate] of prepared.fates) {
      if (fate.kind === 'retry') {
        const current = retry.get(record.partitionKey);
        if (current === undefined || record.offset < current) retry.set(record.partitionKey, record.offset);
      }
    }
    const succeeded = new Set(outcome.succeeded);
    const completed: DerivedKey[] = [];
    const released: DerivedKey[] = [];
    for (const [record, fate] of prepared.fates) {
      if ((fate.kind === 'process' || fate.kind === 'deferred' || fate.kind === 'quarantine') && fate.key) {
        if (fate.kind === 'process' && succeeded.has(record)) completed.push(fate.key);
        else if (fate.leased) released.push(fate.key);
      }
    }
    completed.push(...prepared.repaired);
    const updates = this.#checkpointUpdates(prepared, retry);
    if (prepared.effects.length > 0) {
      // Effects commit with the checkpoints: complete only after they are durable, or a crash in
      // between would leave keys COMPLETED whose effects were never written.
      await this.#checkpoint(prepared, updates);
      await this.#complete(prepared, completed, released);
    } else {
      await Promise.all([this.#complete(prepared, completed, released), this.#checkpoint(prepared, updates)]);
    }
    for (const key of completed) this.#filter.add(key.digest);
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
    if (!prepared.ticket) return;
    try {
      await (await this.#redisTier()).release(prepared.ticket);
    } catch (error) {
      // Leases then expire on their own (lease = remaining time + margin): a retry waits, never duplicates.
      this.#telemetry.cacheError(error);
    }
  }

  #checkpointUpdates(prepared: PreparedBatch, retry: ReadonlyMap<string, number>): CheckpointUpdate[] {
    const updates: CheckpointUpdate[] = [];
    for (const part of prepared.batch.partitions) {
      const last = part.records[part.records.length - 1];
      if (!last) continue;
      const nextOffset = retry.get(part.partitionKey) ?? last.offset + 1;
      if (
        nextOffset > (prepared.watermarks.get(part.partitionKey) ?? -1) &&
        nextOffset > (part.records[0]?.offset ?? 0)
      ) {
        updates.push({ topic: part.topic, partition: part.partition, nextOffset });
      }
    }
    return updates;
  }

  async #complete(prepared: PreparedBatch, completed: DerivedKey[], released: DerivedKey[]): Promise<void> {
    if (!prepared.ticket) return;
    try {
      await (await this.#redisTier()).complete(prepared.ticket, completed, released);
    } catch (error) {
      // The checkpoint still proves these offsets done; producer duplicates elsewhere wait for the lease.
      this.#telemetry.cacheError(error);
    }
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
    fates: ReadonlyMap<ParsedRecord, RecordFate>,
    ticket: ClaimTicket | undefined,
  ): Promise<void> {
    const entries: QuarantineEntry[] = [];
    for (const [record, fate] of fates) {
      if (fate.kind !== 'quarantine') continue;
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
      if (ticket) await (await this.#redisTier()).release(ticket).catch(() => undefined);
      throw error;
    }
  }

  /**
   * Keys whose last owner died holding the lease (claim status InDoubt): a duplicate if that
   * owner's checkpoint transaction committed (its commit marker exists), new otherwise. One
   * BatchGetItem, only when a crash left such keys. Without a checkpoint store there is no durable
   * record to ask, and they are processed.
   */
  async #settleDoubts(
    inDoubt: readonly { key: TierKey; owner: string }[],
    claims: Map<string, ClaimStatus>,
  ): Promise<DerivedKey[]> {
    if (inDoubt.length === 0) return [];
    const store = this.#options.checkpoints;
    const committed = store
      ? await store.committedOwners(
          this.#resolved.consumerGroup,
          inDoubt.map((d) => d.owner),
        )
      : new Set<string>();
    const repaired: DerivedKey[] = [];
    for (const { key, owner } of inDoubt) {
      if (committed.has(owner)) {
        claims.set(key.id, ClaimStatus.Duplicate);
        repaired.push(key as DerivedKey);
      } else {
        claims.set(key.id, ClaimStatus.New);
      }
    }
    return repaired;
  }

  #deriver(epoch: number): KeyDeriver {
    let deriver = this.#derivers.get(epoch);
    if (!deriver) {
      deriver = createKeyDeriver(keyOptions(this.#options, epoch));
      this.#derivers.set(epoch, deriver);
    }
    return deriver;
  }

  #redisTier(): Promise<RedisDedupTier> {
    this.#tier ??= (async () => {
      const cache = this.#options.cache;
      const runner: ScriptRunner = typeof cache === 'function' ? await cache() : cache;
      const baseKey = this.#deriver(0).namespace.prefix.slice(0, -1);
      return new RedisDedupTier({
        runner,
        baseKey,
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

function oldestAgeSeconds(times: readonly string[]): number | undefined {
  const oldest = Math.min(...times.map((t) => Date.parse(t)).filter((t) => Number.isFinite(t)));
  return Number.isFinite(oldest) ? Math.max(0, (Date.now() - oldest) / 1000) : undefined;
}
