import {
  type AttributeValue,
  GetItemCommand,
  type GetItemCommandOutput,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { type TableHints, tableAccessError } from '../aws/table-errors.ts';
import type { DynamoDBSender, Item } from '../checkpoints/dynamodb.ts';
import {
  AuditItemUnreadableError,
  type ChunkedField,
  chunkItems,
  chunkMarkers,
  itemBytes,
  planTooLarge,
  readField,
  resultChunks,
  TRANSACTION_LIMIT_BYTES,
  TRANSACTION_MAX_ITEMS,
  totalBytes,
} from './audit-chunks.ts';
import { AUDIT_RESTORE_ID_ATTRIBUTE, AUDIT_RESTORE_ID_INDEX } from './audit-index.ts';
import type { RestorePlan, RestoreResult } from './types.ts';

/**
 * The restore audit trail: one item per executed restore, written before anything changes (so a
 * crash half way still leaves a trace) and completed with the result.
 *
 * @example
 * ```ts
 * const key = await audit.start(plan, startedAt);
 * await audit.finish(key, result);
 * ```
 */
export interface AuditStore {
  /**
   * Records that `plan` starts executing now; returns the item's key. Fails if it cannot write
   * (`AuditTooLargeError` for a plan too large to record even compressed, decision 0025).
   */
  start(plan: RestorePlan, startedAt: string): Promise<AuditKey>;
  /** Records how it ended. */
  finish(key: AuditKey, result: RestoreResult): Promise<void>;
  /** The audit item of a restore, or `null` when no item has this restoreId. */
  find?(restoreId: string): Promise<AuditRecord | null>;
}

/** An audit item read back: what was planned and, once finished, how it ended. */
export interface AuditRecord {
  readonly key: AuditKey;
  readonly restoreId: string;
  readonly group: string;
  readonly topic: string;
  readonly status: string;
  readonly plan: RestorePlan;
  /** `null` while the restore runs (or when it crashed before finishing). */
  readonly result: RestoreResult | null;
}

/** Key of an audit item: pk = group, sk = `{startedAt ISO-8601}#{restoreId}` (design: checkpoint-tables.ts). */
export interface AuditKey {
  readonly pk: string;
  readonly sk: string;
}

/**
 * What to check when the audit table is missing or cannot be read, for a caller that names no
 * flags or variables: the CLI passes its flags ({@link cliTableHints}), the restore function its
 * environment.
 */
export const AUDIT_TABLE_HINTS: TableHints = {
  notFound:
    'Deploy the stack that creates it, or name the right table and region (--audit-table for the CLI, ' +
    'MSKGUARD_AUDIT_TABLE for the restore function).',
  unreachable: 'Check the AWS credentials, the region and the DynamoDB endpoint, then retry.',
};

export { AUDIT_RESTORE_ID_ATTRIBUTE, AUDIT_RESTORE_ID_INDEX } from './audit-index.ts';

/** The audit item's sort key. */
export function auditSortKey(startedAt: string, restoreId: string): string {
  return `${startedAt}#${restoreId}`;
}

/**
 * The largest audit item (with its plan) whose plan stays inline, and the largest inline result:
 * together under the 400 KB item limit, so `finish` can never be refused for size after `start`
 * was accepted (the offsets are committed in between).
 */
const PLAN_INLINE_BYTES = 240 * 1024;
const RESULT_INLINE_BYTES = 150 * 1024;

/**
 * {@link AuditStore} on the DynamoDB audit table. Plan and result are stored as JSON strings: they
 * are read by people and tools, never queried by field. One too large for the item (a plan of more
 * than ~500 partitions, decision 0025) is gzipped into chunk items written in the same transaction
 * as the item; a plan too large even for that (~36,000 partitions) is refused before anything runs.
 *
 * @example
 * ```ts
 * const audit = new DynamoAuditStore(new DynamoDBClient({}), process.env.MSKGUARD_AUDIT_TABLE!);
 * ```
 */
export class DynamoAuditStore implements AuditStore {
  public constructor(
    private readonly client: DynamoDBSender,
    private readonly tableName: string,
    /** Where the table is looked for (an endpoint or a region), named when it cannot be read. */
    private readonly where = 'this account and region',
    /** What to check when it is missing or cannot be read, in the caller's terms. */
    private readonly hints: TableHints = AUDIT_TABLE_HINTS,
  ) {}

  public async start(plan: RestorePlan, startedAt: string): Promise<AuditKey> {
    const key = { pk: plan.group, sk: auditSortKey(startedAt, plan.restoreId) };
    const head: Record<string, AttributeValue> = {
      pk: { S: key.pk },
      sk: { S: key.sk },
      restoreId: { S: plan.restoreId },
      topic: { S: plan.topic },
      strategy: { S: plan.strategy },
      mode: { S: plan.mode },
      requestedBy: { S: plan.requestedBy },
      startedAt: { S: startedAt },
      status: { S: 'running' },
      ...(plan.undoes ? { undoes: { S: plan.undoes } } : {}),
    };
    const json = JSON.stringify(plan);
    const inline = { ...head, plan: { S: json } };
    // A restore id is random; never overwrite another run's trail.
    const condition = 'attribute_not_exists(pk)';
    if (itemBytes(inline) <= PLAN_INLINE_BYTES) {
      await this.client.send(
        new PutItemCommand({ TableName: this.tableName, Item: inline, ConditionExpression: condition }),
      );
      return key;
    }
    const chunks = chunkItems(key.pk, key.sk, 'plan', json);
    const item = { ...head, ...chunkMarkers('plan', chunks.length) };
    const bytes = totalBytes([item, ...chunks]);
    if (bytes > TRANSACTION_LIMIT_BYTES || chunks.length + 1 > TRANSACTION_MAX_ITEMS)
      throw planTooLarge(plan, bytes);
    await this.client.send(
      new TransactWriteItemsCommand({
        TransactItems: [item, ...chunks].map((Item) => ({
          Put: { TableName: this.tableName, Item, ConditionExpression: condition },
        })),
      }),
    );
    return key;
  }

  public async finish(key: AuditKey, result: RestoreResult): Promise<void> {
    const json = JSON.stringify(result);
    const names = { '#status': 'status' };
    const values = { ':status': { S: result.status }, ':finishedAt': { S: result.finishedAt } };
    const keyItem = { pk: { S: key.pk }, sk: { S: key.sk } };
    const added = { status: values[':status'], finishedAt: values[':finishedAt'], result: { S: json } };
    if (itemBytes(added) <= RESULT_INLINE_BYTES) {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: keyItem,
          UpdateExpression: 'SET #status = :status, finishedAt = :finishedAt, #result = :result',
          ExpressionAttributeNames: { ...names, '#result': 'result' },
          ExpressionAttributeValues: { ...values, ':result': { S: json } },
        }),
      );
      return;
    }
    const chunks = resultChunks(key.pk, key.sk, result, json);
    const markers = chunkMarkers('result', chunks.length);
    await this.client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          {
            Update: {
              TableName: this.tableName,
              Key: keyItem,
              UpdateExpression:
                'SET #status = :status, finishedAt = :finishedAt, resultChunks = :chunks, resultEncoding = :encoding',
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: {
                ...values,
                ':chunks': markers.resultChunks!,
                ':encoding': markers.resultEncoding!,
              },
            },
          },
          // Unconditional: a retried finish rewrites its own chunks with the same bytes.
          ...chunks.map((Item) => ({ Put: { TableName: this.tableName, Item } })),
        ],
      }),
    );
  }

  /**
   * Finds a restore's item by restoreId alone (`undo <id>`; the table is keyed by group): a Query of
   * the sparse index {@link AUDIT_RESTORE_ID_INDEX} for the key, then a consistent GetItem (the index
   * holds keys only and lags the table). A table without a usable index (older, or backfilling after
   * the deploy that adds it) is scanned as before, so a CLI against a stack not yet updated still works.
   */
  public async find(restoreId: string): Promise<AuditRecord | null> {
    const viaIndex = await this.indexed(restoreId);
    const item = 'unusable' in viaIndex ? await this.scanFor(restoreId, viaIndex.unusable) : viaIndex.item;
    if (!item) return null;
    const plan = JSON.parse((await this.field(item, 'plan')) ?? '{}') as RestorePlan;
    const result = await this.field(item, 'result');
    return {
      key: { pk: item.pk!.S!, sk: item.sk!.S! },
      restoreId,
      group: item.pk!.S!,
      topic: item.topic?.S ?? plan.topic,
      status: item.status?.S ?? 'unknown',
      plan,
      result: result ? (JSON.parse(result) as RestoreResult) : null,
    };
  }

  /** The item found through the index, or why the index cannot be used (then find scans). */
  private async indexed(restoreId: string): Promise<{ item: Item | null } | { unusable: string }> {
    const query = { TableName: this.tableName, IndexName: AUDIT_RESTORE_ID_INDEX };
    let key: Item | null;
    try {
      key = await this.first(QueryCommand, { ...query, ...byId(restoreId, 'KeyConditionExpression') });
    } catch (error) {
      // The request is well-formed, so a ValidationException naming an index means the table has
      // none by that name ("does not have the specified index") or it is backfilling; an
      // AccessDeniedException, a caller whose IAM names the table but not its index (a CLI
      // operator's policy written before the index). A missing table (ResourceNotFoundException)
      // is no reason to scan: the Scan would fail the same way.
      const cause = (error as { cause?: Error }).cause;
      if (
        (cause?.name === 'ValidationException' && /index/i.test(cause.message)) ||
        cause?.name === 'AccessDeniedException'
      )
        return { unusable: `${cause.name}: ${cause.message}` };
      throw error;
    }
    if (!key) return { item: null };
    const got = await this.read<GetItemCommandOutput>(
      new GetItemCommand({
        TableName: this.tableName,
        Key: { pk: key.pk!, sk: key.sk! },
        ConsistentRead: true,
      }),
    );
    return { item: got.Item ?? null };
  }

  /** The fallback: a filtered, paged Scan of the whole table, chunk items included (what the index avoids). */
  private scanFor(restoreId: string, unusable: string): Promise<Item | null> {
    const scan = { TableName: this.tableName, ...byId(restoreId, 'FilterExpression') };
    // Said in any error: a restore function deployed with the index has no Scan grant.
    const what = `audit table ${this.tableName} (scanned: index ${AUDIT_RESTORE_ID_INDEX} unusable, ${unusable})`;
    return this.first(ScanCommand, scan, what);
  }

  /** The first item of a paged Query or Scan (a filtered page may be empty and still have a next). */
  private async first<I>(Command: new (input: I) => object, input: I, what?: string): Promise<Item | null> {
    let start: Item | undefined;
    do {
      const page = new Command(start ? ({ ...input, ExclusiveStartKey: start } as I) : input);
      const out = await this.read<{ Items?: Item[]; LastEvaluatedKey?: Item }>(page, what);
      if (out.Items?.[0]) return out.Items[0];
      start = out.LastEvaluatedKey;
    } while (start);
    return null;
  }

  /** A field of a found item, inline or from its chunks (a Query of the same group: no new grant). */
  private async field(item: Item, field: ChunkedField): Promise<string | null> {
    try {
      return await readField(this.client, this.tableName, item, field);
    } catch (error) {
      if (error instanceof AuditItemUnreadableError) throw error;
      throw tableAccessError(`audit table ${this.tableName}`, this.where, error, this.hints);
    }
  }

  /**
   * One read of find. The SDK's errors name no table (ResourceNotFoundException, ECONNREFUSED): a
   * TableAccessError names it, where it was looked for and what to check.
   */
  private async read<T>(command: object, what = `audit table ${this.tableName}`): Promise<T> {
    try {
      return (await this.client.send(command)) as T;
    } catch (error) {
      throw tableAccessError(what, this.where, error, this.hints);
    }
  }
}

/** `restoreId = :id`, as a Query's key condition or a Scan's filter. */
function byId(restoreId: string, as: 'KeyConditionExpression' | 'FilterExpression') {
  return {
    [as]: '#id = :id',
    ExpressionAttributeNames: { '#id': AUDIT_RESTORE_ID_ATTRIBUTE },
    ExpressionAttributeValues: { ':id': { S: restoreId } },
  };
}
