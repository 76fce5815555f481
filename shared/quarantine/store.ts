import type { GetItemCommandOutput, QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import { dynamoDbSdk } from '../aws/sdk.ts';
import {
  batchGetAll,
  conditionFailedItem,
  type DynamoDBSender,
  type Failure,
  type Item,
  mapConcurrent,
  type ResolvedRetry,
  type RetryOptions,
  resolveRetry,
  withRetries,
} from '../checkpoints/dynamodb.ts';
import { ConfigurationError } from '../errors.ts';
import { InvalidQuarantineRecordError, QuarantineReadError, QuarantineWriteError } from './errors.ts';
import { parseQuarantineId, quarantineId } from './id.ts';
import {
  decodeRecord,
  decodeSummary,
  encodeRecord,
  QUARANTINE_ATTRIBUTES as Q,
  QUARANTINE_INDEX,
  quarantineKey,
  validateInput,
} from './schema.ts';
import {
  type QuarantinedRecord,
  type QuarantineInput,
  type QuarantineListOptions,
  type QuarantinePutResult,
  QuarantineStatus,
  type QuarantineSummary,
} from './types.ts';

/** Options of {@link QuarantineStore}. */
export interface QuarantineStoreOptions {
  /**
   * Days a quarantined record is kept (its `expiresAt` TTL): the time an operator has to replay it.
   * @default 14
   */
  readonly ttlDays?: number;
  /** Bounded retries on throttling and 5xx. @default { maxAttempts: 8, baseDelayMs: 25, maxDelayMs: 2000 } */
  readonly retry?: RetryOptions;
}

/**
 * Conditional PutItems of one `put` in flight at once: a batch's quarantined records are written in
 * a few round trips, without opening a connection per record (the SDK's default pool is 50).
 */
const PUT_CONCURRENCY = 16;
const DAY_SECONDS = 86_400;

/**
 * Records withheld from the handler (probabilistic mode, missing-key policy), with their payload
 * and reason, on the quarantine table; listed by group through the `byGroup` index, replayed by
 * `mskguard quarantine replay`.
 *
 * @example
 * ```ts
 * const quarantine = new QuarantineStore(new DynamoDBClient({}), process.env.MSKGUARD_QUARANTINE_TABLE!);
 * await quarantine.put([{ group, topic: r.topic, partition: r.partition, offset: r.offset, key: r.raw.key ?? null,
 *   value: r.raw.value ?? null, headers: r.headers, idempotencyKey: id, reason: QuarantineReason.ProbableDuplicate }]);
 * const waiting = await quarantine.list({ group, status: QuarantineStatus.Quarantined });
 * ```
 */
export class QuarantineStore {
  readonly #client: DynamoDBSender;
  readonly #table: string;
  readonly #ttlSeconds: number;
  readonly #retry: ResolvedRetry;
  readonly #readFailure: Failure;
  readonly #writeFailure: Failure;

  public constructor(client: DynamoDBSender, tableName: string, options: QuarantineStoreOptions = {}) {
    if (typeof tableName !== 'string' || tableName.length === 0) {
      throw new ConfigurationError(
        'QuarantineStore needs the quarantine table name (MSKGUARD_QUARANTINE_TABLE).',
      );
    }
    const days = options.ttlDays ?? 14;
    if (!(days > 0)) throw new ConfigurationError(`ttlDays must be > 0, got ${days}`);
    this.#client = client;
    this.#table = tableName;
    this.#ttlSeconds = Math.round(days * DAY_SECONDS);
    this.#retry = resolveRetry(options.retry);
    const tableFix =
      'Deploy the stack that creates it (CheckpointTables), or pass the right name (--quarantine-table or ' +
      'MSKGUARD_QUARANTINE_TABLE, and the region).';
    const failure = (Err: typeof QuarantineReadError): Failure => ({
      table: tableName,
      tableFix,
      fail: (message, opts) => new Err(`Quarantine table '${tableName}': ${message}`, opts),
    });
    this.#readFailure = failure(QuarantineReadError);
    this.#writeFailure = failure(QuarantineWriteError);
  }

  /**
   * Stores records: one conditional PutItem each ({@link PUT_CONCURRENCY} in flight), retried with
   * backoff. A record quarantined again replaces its QUARANTINED item (latest reason and time), but
   * never a REPLAYED one: that item is kept, so it is not offered for replay a second time, and its
   * id is reported in `alreadyReplayed`. A record over the 400 KB item limit is stored truncated.
   */
  public async put(records: readonly QuarantineInput[]): Promise<QuarantinePutResult> {
    for (const r of records) validateInput(r);
    const now = new Date();
    const quarantinedAt = now.toISOString();
    const expiresAt = Math.floor(now.getTime() / 1000) + this.#ttlSeconds;
    // One write per record: the last quarantine of a record repeated in `records` wins.
    const byId = new Map(records.map((r) => [quarantineId(r), r]));
    // Encoded inside the task: at most PUT_CONCURRENCY items of up to 400 KB are held at once.
    const outcomes = await mapConcurrent([...byId], PUT_CONCURRENCY, async ([id, r]) => {
      const encoded = encodeRecord(r, quarantinedAt, expiresAt);
      return { id, truncated: encoded.truncated, stored: await this.#putUnlessReplayed(encoded.item) };
    });
    return {
      ids: [...byId.keys()],
      truncated: outcomes.filter((o) => o.stored && o.truncated).map((o) => o.id),
      alreadyReplayed: outcomes.filter((o) => !o.stored).map((o) => o.id),
    };
  }

  /** Writes `item` unless its record is REPLAYED; false when it is (the item is left as it is). */
  async #putUnlessReplayed(item: Item): Promise<boolean> {
    try {
      // A retry after a timeout whose first attempt committed finds our own QUARANTINED item, and
      // writes it again: the same result.
      await withRetries('PutItem', this.#retry, this.#writeFailure, async () =>
        this.#client.send(
          new (await dynamoDbSdk()).PutItemCommand({
            TableName: this.#table,
            Item: item,
            ConditionExpression: 'attribute_not_exists(#pk) OR #status = :quarantined',
            ExpressionAttributeNames: { '#pk': Q.PARTITION_KEY, '#status': Q.STATUS },
            ExpressionAttributeValues: { ':quarantined': { S: QuarantineStatus.Quarantined } },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (error instanceof QuarantineWriteError && conditionFailedItem(error)) return false;
      throw error;
    }
  }

  /** A group's records by quarantine time (oldest first), through the `byGroup` index: no payloads. */
  public async list(options: QuarantineListOptions): Promise<QuarantineSummary[]> {
    const limit = options.limit ?? 100;
    if (typeof options.group !== 'string' || options.group.length === 0) {
      throw new InvalidQuarantineRecordError('list needs the consumer group.');
    }
    if (!Number.isInteger(limit) || limit < 1) {
      throw new InvalidQuarantineRecordError(`list limit must be a whole number >= 1, got ${limit}`);
    }
    const names: Record<string, string> = { '#g': Q.GROUP_INDEX_PARTITION_KEY };
    const values: Item = { ':g': { S: options.group } };
    let condition = '#g = :g';
    if (options.since) {
      names['#t'] = Q.GROUP_INDEX_SORT_KEY;
      values[':since'] = { S: options.since.toISOString() };
      condition += ' AND #t >= :since';
    }
    if (options.status) {
      names['#status'] = Q.STATUS;
      values[':status'] = { S: options.status };
    }
    const found: QuarantineSummary[] = [];
    let start: Item | undefined;
    do {
      const input = {
        TableName: this.#table,
        IndexName: QUARANTINE_INDEX,
        KeyConditionExpression: condition,
        ...(options.status ? { FilterExpression: '#status = :status' } : { Limit: limit - found.length }),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ...(start ? { ExclusiveStartKey: start } : {}),
      };
      const out = await withRetries(
        'Query (byGroup)',
        this.#retry,
        this.#readFailure,
        async () =>
          this.#client.send(new (await dynamoDbSdk()).QueryCommand(input)) as Promise<QueryCommandOutput>,
      );
      found.push(...(out.Items ?? []).map(decodeSummary));
      start = out.LastEvaluatedKey;
    } while (start && found.length < limit);
    return found.slice(0, limit);
  }

  /** One record with its payload (strongly consistent), or undefined. */
  public async get(id: string): Promise<QuarantinedRecord | undefined> {
    const out = await withRetries(
      'GetItem',
      this.#retry,
      this.#readFailure,
      async () =>
        this.#client.send(
          new (await dynamoDbSdk()).GetItemCommand({
            TableName: this.#table,
            Key: quarantineKey(parseQuarantineId(id)),
            ConsistentRead: true,
          }),
        ) as Promise<GetItemCommandOutput>,
    );
    return out.Item ? decodeRecord(out.Item) : undefined;
  }

  /** Records with their payloads, in the order of `ids`; ids not found are left out. */
  public async getMany(ids: readonly string[]): Promise<QuarantinedRecord[]> {
    const unique = [...new Set(ids)];
    const keys = unique.map((id) => quarantineKey(parseQuarantineId(id)));
    const items = await batchGetAll(this.#client, keys, {
      retry: this.#retry,
      failure: this.#readFailure,
      consistentRead: true,
    });
    const byId = new Map(items.map((item) => [decodeSummary(item).id, decodeRecord(item)]));
    return unique.flatMap((id) => byId.get(id) ?? []);
  }

  /**
   * Marks a record replayed, only if it is still QUARANTINED: returns false when it is not (replayed
   * meanwhile, or gone), so a concurrent replay is reported rather than recorded twice.
   */
  public async markReplayed(
    id: string,
    meta: { readonly by: string; readonly to?: string },
  ): Promise<boolean> {
    const key = quarantineKey(parseQuarantineId(id));
    // Fixed before the first try: a retry after a timeout whose first attempt committed fails the
    // condition, and finds this very (by, at, to) stored. That is our own mark, not a concurrent
    // replay, and must not be reported 'raced' ("now twice on the topic") to the operator.
    const at = new Date().toISOString();
    try {
      await withRetries('UpdateItem (replayed)', this.#retry, this.#writeFailure, async () =>
        this.#client.send(
          new (await dynamoDbSdk()).UpdateItemCommand({
            TableName: this.#table,
            Key: key,
            UpdateExpression: `SET #status = :replayed, #at = :at, #by = :by${meta.to ? ', #to = :to' : ''}`,
            ConditionExpression: 'attribute_exists(#pk) AND #status = :quarantined',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            ExpressionAttributeNames: {
              '#pk': Q.PARTITION_KEY,
              '#status': Q.STATUS,
              '#at': Q.REPLAYED_AT,
              '#by': Q.REPLAYED_BY,
              ...(meta.to ? { '#to': Q.REPLAYED_TO } : {}),
            },
            ExpressionAttributeValues: {
              ':replayed': { S: QuarantineStatus.Replayed },
              ':quarantined': { S: QuarantineStatus.Quarantined },
              ':at': { S: at },
              ':by': { S: meta.by },
              ...(meta.to ? { ':to': { S: meta.to } } : {}),
            },
          }),
        ),
      );
      return true;
    } catch (error) {
      const old = error instanceof QuarantineWriteError ? conditionFailedItem(error) : undefined;
      if (old) {
        return (
          old[Q.STATUS]?.S === QuarantineStatus.Replayed &&
          old[Q.REPLAYED_BY]?.S === meta.by &&
          old[Q.REPLAYED_AT]?.S === at &&
          old[Q.REPLAYED_TO]?.S === meta.to
        );
      }
      throw error;
    }
  }
}
