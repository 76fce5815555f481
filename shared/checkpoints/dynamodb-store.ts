import { randomUUID } from 'node:crypto';
import type { TransactWriteItem, UpdateItemCommandOutput } from '@aws-sdk/client-dynamodb';
import { dynamoDbSdk } from '../aws/sdk.ts';
import { ConfigurationError } from '../errors.ts';
import {
  aheadOf,
  buildAdvanceTransaction,
  chunkUpdates,
  stagedEffectsFailure,
  transactionFailure,
} from './advance-transaction.ts';
import {
  backoff,
  cancellationReasons,
  conditionFailedItem,
  type DynamoDBSender,
  type Failure,
  type ResolvedRetry,
  type RetryOptions,
  resolveRetry,
  withRetries,
} from './dynamodb.ts';
import {
  type CheckpointTableReader,
  readCommittedOwners,
  readCurrent,
  readEpochAndCurrents,
  readHistoryAt,
} from './dynamodb-reads.ts';
import {
  CheckpointReadError,
  CheckpointWriteError,
  InvalidCheckpointError,
  StagedEffectsTooLargeError,
} from './errors.ts';
import {
  CHECKPOINT_ATTRIBUTES as A,
  commitMarkerKey,
  groupEpoch,
  groupKey,
  mergeUpdates,
  partitionLabel,
  partitionPk,
  validateAdvanceMeta,
  validateGroup,
  validatePartition,
  validateTopic,
  validateUpdate,
} from './schema.ts';
import type {
  AdvanceMeta,
  AdvanceResult,
  Checkpoint,
  CheckpointStore,
  CheckpointUpdate,
  PartitionRef,
  WatermarkSnapshot,
} from './types.ts';

/** Options of {@link DynamoCheckpointStore}. */
export interface DynamoCheckpointStoreOptions {
  /**
   * Days a HISTORY item lives (its `expiresAt` TTL): how far back `history --at` can restore.
   * @default 30
   */
  readonly historyTtlDays?: number;
  /** Bounded retries on throttling, conflicts and 5xx. @default { maxAttempts: 8, baseDelayMs: 25, maxDelayMs: 2000 } */
  readonly retry?: RetryOptions;
}

const DAY_SECONDS = 86_400;

/**
 * {@link CheckpointStore} on the checkpoints table (cdk/constructs/checkpoint-tables.ts; item layout in
 * docs/decisions/0002-dynamodb-table-schema.md). `load` is one BatchGetItem, `advance` one
 * TransactWriteItems per 50 partitions, both with bounded, jittered retries.
 *
 * @example
 * ```ts
 * const store = new DynamoCheckpointStore(new DynamoDBClient({}), process.env.MSKGUARD_CHECKPOINT_TABLE!);
 * const snapshot = await store.load('orders-svc', [{ topic: 'orders', partition: 0 }]);
 * const { advanced, alreadyAhead } = await store.advance(
 *   'orders-svc', [{ topic: 'orders', partition: 0, nextOffset: 42 }], { requestId: context.awsRequestId, epoch: snapshot.epoch });
 * ```
 */
export class DynamoCheckpointStore implements CheckpointStore {
  readonly #client: DynamoDBSender;
  readonly #table: string;
  readonly #historyTtlSeconds: number;
  readonly #retry: ResolvedRetry;
  /**
   * Partition keys known to be in their GROUP item's registry (a CURRENT item exists): for those,
   * `advance` leaves the GROUP item out of the transaction, so concurrent invocations on different
   * partitions do not conflict on it. Lost on a cold start, which only costs a redundant ADD.
   */
  readonly #registered = new Set<string>();
  readonly #reader: CheckpointTableReader;
  readonly #writeFailure: Failure;

  public constructor(client: DynamoDBSender, tableName: string, options: DynamoCheckpointStoreOptions = {}) {
    if (typeof tableName !== 'string' || tableName.length === 0) {
      throw new ConfigurationError(
        'DynamoCheckpointStore needs the checkpoints table name (MSKGUARD_CHECKPOINT_TABLE).',
      );
    }
    const days = options.historyTtlDays ?? 30;
    if (!(days > 0)) throw new ConfigurationError(`historyTtlDays must be > 0, got ${days}`);
    this.#client = client;
    this.#table = tableName;
    this.#historyTtlSeconds = Math.round(days * DAY_SECONDS);
    this.#retry = resolveRetry(options.retry);
    const tableFix =
      'Deploy the stack that creates it (CheckpointTables), or point MSKGUARD_CHECKPOINT_TABLE (and the region) at ' +
      'the right table.';
    const failure = (Err: typeof CheckpointReadError): Failure => ({
      table: tableName,
      tableFix,
      fail: (message, opts) => new Err(`Checkpoints table '${tableName}': ${message}`, opts),
    });
    this.#reader = { client, table: tableName, retry: this.#retry, failure: failure(CheckpointReadError) };
    this.#writeFailure = failure(CheckpointWriteError);
  }

  public async load(group: string, partitions: readonly PartitionRef[]): Promise<WatermarkSnapshot> {
    validateGroup(group);
    for (const p of partitions) validatePartition(group, p);
    const { epoch, currents } = await readEpochAndCurrents(this.#reader, group, partitions);
    const checkpoints = new Map<string, Checkpoint>();
    for (const c of currents) {
      this.#registered.add(partitionPk(group, c.topic, c.partition));
      if (c.epoch >= epoch) checkpoints.set(partitionLabel(c), c);
    }
    return { epoch, checkpoints };
  }

  public async advance(
    group: string,
    updates: readonly CheckpointUpdate[],
    meta: AdvanceMeta,
  ): Promise<AdvanceResult> {
    validateGroup(group);
    for (const u of updates) validateUpdate(group, u);
    validateAdvanceMeta(meta);
    const effects = meta.effects ?? [];
    const result: { advanced: CheckpointUpdate[]; alreadyAhead: CheckpointUpdate[] } = {
      advanced: [],
      alreadyAhead: [],
    };
    // One clock reading per call: every item of the call carries the same updatedAt.
    const updatedAt = new Date().toISOString();
    const extra: TransactWriteItem[] = [...effects];
    if (meta.owner) {
      // The marker rides in the first chunk: it commits exactly when the batch's checkpoints do.
      const expiresAt = Math.floor(Date.parse(updatedAt) / 1000) + this.#historyTtlSeconds;
      extra.push({
        Put: {
          TableName: this.#table,
          Item: { ...commitMarkerKey(group, meta.owner), [A.TTL]: { N: String(expiresAt) } },
        },
      });
    }
    const chunks = chunkUpdates(mergeUpdates(updates), (u) => this.#isRegistered(group, u), extra.length);
    if (effects.length > 0 && chunks.length > 1) {
      throw new StagedEffectsTooLargeError(
        `${effects.length} staged effects and ${updates.length} partition checkpoints do not fit in one ` +
          'TransactWriteItems (100 items, 2 per partition): stage fewer items per batch (lower the batch size) ' +
          'or write the rest of the effects idempotently yourself.',
      );
    }
    for (const [i, chunk] of (chunks.length > 0 ? chunks : [[]]).entries()) {
      await this.#advanceChunk(
        group,
        chunk,
        { requestId: meta.requestId, epoch: meta.epoch, updatedAt },
        result,
        i === 0 ? extra : [],
        effects.length > 0,
      );
    }
    return result;
  }

  async #advanceChunk(
    group: string,
    chunk: readonly CheckpointUpdate[],
    meta: { readonly requestId: string; readonly epoch: number; readonly updatedAt: string },
    result: { advanced: CheckpointUpdate[]; alreadyAhead: CheckpointUpdate[] },
    extra: readonly TransactWriteItem[] = [],
    staged = false,
  ): Promise<void> {
    let pending = [...chunk];
    // One token per transaction content, kept across our retries. A timeout leaves us not knowing
    // whether DynamoDB committed; retried with a new token, a committed write would fail its own
    // forward condition and be misreported as another writer's (alreadyAhead, or with staged effects
    // CheckpointConflictError, whose keys are then released although their effects are durable).
    // With the same token (idempotent for 10 minutes) DynamoDB answers success instead.
    let token = randomUUID();
    for (let failures = 0; pending.length > 0 || extra.length > 0; ) {
      const { items, slots } = buildAdvanceTransaction({
        table: this.#table,
        group,
        updates: pending,
        meta,
        historyTtlSeconds: this.#historyTtlSeconds,
        isRegistered: (u) => this.#isRegistered(group, u),
      });
      items.push(...extra);
      slots.push(...extra.map(() => ({ kind: 'effect' as const })));
      try {
        await this.#client.send(
          new (await dynamoDbSdk()).TransactWriteItemsCommand({
            TransactItems: items,
            ClientRequestToken: token,
          }),
        );
        result.advanced.push(...pending);
        for (const u of pending) this.#registered.add(partitionPk(group, u.topic, u.partition));
        return;
      } catch (error) {
        const reasons = cancellationReasons(error);
        const ahead = reasons ? aheadOf(reasons, slots) : [];
        if (staged) stagedEffectsFailure(reasons, slots, ahead, error);
        if (ahead.length > 0) {
          // Those partitions are at or past the update; the rest of the chunk goes in a new transaction.
          result.alreadyAhead.push(...ahead);
          for (const u of ahead) this.#registered.add(partitionPk(group, u.topic, u.partition));
          pending = pending.filter((u) => !ahead.includes(u));
          // New content needs a new token (the same one would be IdempotentParameterMismatch); a
          // cancellation proves nothing was committed under the old one.
          token = randomUUID();
          continue;
        }
        failures++;
        const fatal = transactionFailure(error, reasons, failures, this.#retry, this.#writeFailure);
        if (fatal) throw fatal;
        await backoff(this.#retry, failures);
      }
    }
  }

  public async committedOwners(group: string, owners: readonly string[]): Promise<Set<string>> {
    validateGroup(group);
    return readCommittedOwners(this.#reader, group, owners);
  }

  public async listCurrent(group: string, topic?: string): Promise<Checkpoint[]> {
    validateGroup(group);
    if (topic !== undefined) validateTopic(topic);
    return readCurrent(this.#reader, group, topic);
  }

  public async historyAt(group: string, topic: string, at: Date): Promise<Checkpoint[]> {
    validateGroup(group);
    validateTopic(topic);
    if (!(at instanceof Date) || Number.isNaN(at.getTime())) {
      throw new InvalidCheckpointError(`historyAt needs a valid Date, got ${String(at)}`);
    }
    return readHistoryAt(this.#reader, group, topic, at);
  }

  public async bumpEpoch(group: string, meta: { readonly requestId: string }): Promise<number> {
    validateGroup(group);
    // ADD is not idempotent: a retry after a timeout whose first attempt committed would bump twice.
    // The bump's (by, at) pair is fixed before the first try, and a try finding it already stored
    // fails its condition and returns the stored epoch instead of adding again.
    const at = new Date().toISOString();
    try {
      const out = await withRetries(
        'UpdateItem (bump epoch)',
        this.#retry,
        this.#writeFailure,
        async () =>
          this.#client.send(
            new (await dynamoDbSdk()).UpdateItemCommand({
              TableName: this.#table,
              Key: groupKey(group),
              UpdateExpression: 'ADD #epoch :one SET #by = :by, #at = :at',
              ConditionExpression: 'NOT (#by = :by AND #at = :at)',
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              ExpressionAttributeNames: {
                '#epoch': A.EPOCH,
                '#by': A.EPOCH_BUMPED_BY,
                '#at': A.EPOCH_BUMPED_AT,
              },
              ExpressionAttributeValues: {
                ':one': { N: '1' },
                ':by': { S: meta.requestId },
                ':at': { S: at },
              },
              ReturnValues: 'UPDATED_NEW',
            }),
          ) as Promise<UpdateItemCommandOutput>,
      );
      // UPDATED_NEW carries no key: added back so an error names the item.
      return groupEpoch({ ...groupKey(group), ...out.Attributes });
    } catch (error) {
      const stored = conditionFailedItem(error);
      if (stored?.[A.EPOCH]) return groupEpoch(stored);
      throw error;
    }
  }

  #isRegistered(group: string, ref: PartitionRef): boolean {
    return this.#registered.has(partitionPk(group, ref.topic, ref.partition));
  }
}
