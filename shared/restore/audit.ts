import {
  type AttributeValue,
  PutItemCommand,
  ScanCommand,
  type ScanCommandOutput,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { type DynamoDBSender, isTableNotFound } from '../checkpoints/dynamodb.ts';
import { MskGuardError } from '../errors.ts';
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
  /** Records that `plan` starts executing now; returns the item's key. Fails if it cannot write. */
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
 * The audit table does not exist where it was looked for. Not a usage error (exit 1, like any table
 * or broker that cannot be reached): the command line may be right and the stack not deployed.
 */
export class AuditTableNotFoundError extends MskGuardError {
  public constructor(
    public readonly table: string,
    /** Where it was looked for: a region or an endpoint. */
    public readonly where = 'this account and region',
    options: { cause?: unknown } = {},
  ) {
    // The CLI and the restore function both raise it: name how each one is told the table.
    super(
      `audit table ${table} not found in ${where}: deploy the stack, or name the table with --audit-table ` +
        '(the CLI) or MSKGUARD_AUDIT_TABLE (the restore function).',
      options,
    );
  }
}

/** The audit item's sort key. */
export function auditSortKey(startedAt: string, restoreId: string): string {
  return `${startedAt}#${restoreId}`;
}

/**
 * {@link AuditStore} on the DynamoDB audit table. Plan and result are stored as JSON strings: they
 * are read by people and tools, never queried by field, and a string keeps a 1,000-partition plan
 * well under the item size limit.
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
    /** Where the table is looked for (an endpoint or a region), named when it is not found. */
    private readonly where?: string,
  ) {}

  public async start(plan: RestorePlan, startedAt: string): Promise<AuditKey> {
    const key = { pk: plan.group, sk: auditSortKey(startedAt, plan.restoreId) };
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: {
          pk: { S: key.pk },
          sk: { S: key.sk },
          restoreId: { S: plan.restoreId },
          topic: { S: plan.topic },
          strategy: { S: plan.strategy },
          mode: { S: plan.mode },
          requestedBy: { S: plan.requestedBy },
          startedAt: { S: startedAt },
          status: { S: 'running' },
          plan: { S: JSON.stringify(plan) },
          ...(plan.undoes ? { undoes: { S: plan.undoes } } : {}),
        },
        // A restore id is random; never overwrite another run's trail.
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return key;
  }

  public async finish(key: AuditKey, result: RestoreResult): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { pk: { S: key.pk }, sk: { S: key.sk } },
        UpdateExpression: 'SET #status = :status, finishedAt = :finishedAt, #result = :result',
        ExpressionAttributeNames: { '#status': 'status', '#result': 'result' },
        ExpressionAttributeValues: {
          ':status': { S: result.status },
          ':finishedAt': { S: result.finishedAt },
          ':result': { S: JSON.stringify(result) },
        },
      }),
    );
  }

  /**
   * Finds a restore's item by restoreId. The table is keyed by group, and `undo` may be given the
   * id alone, so this scans (filtered, paged): an audit table holds one item per executed restore.
   */
  public async find(restoreId: string): Promise<AuditRecord | null> {
    let start: Record<string, AttributeValue> | undefined;
    do {
      const out = await this.scan(restoreId, start);
      const item = out.Items?.[0];
      if (item) {
        const plan = JSON.parse(item.plan?.S ?? '{}') as RestorePlan;
        return {
          key: { pk: item.pk!.S!, sk: item.sk!.S! },
          restoreId,
          group: item.pk!.S!,
          topic: item.topic?.S ?? plan.topic,
          status: item.status?.S ?? 'unknown',
          plan,
          result: item.result?.S ? (JSON.parse(item.result.S) as RestoreResult) : null,
        };
      }
      start = out.LastEvaluatedKey;
    } while (start);
    return null;
  }

  /** One page of find's scan; the SDK's ResourceNotFoundException names no table, this error does. */
  private async scan(
    restoreId: string,
    start: Record<string, AttributeValue> | undefined,
  ): Promise<ScanCommandOutput> {
    try {
      return (await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: 'restoreId = :id',
          ExpressionAttributeValues: { ':id': { S: restoreId } },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      )) as ScanCommandOutput;
    } catch (error) {
      if (isTableNotFound(error))
        throw new AuditTableNotFoundError(this.tableName, this.where, { cause: error });
      throw error;
    }
  }
}
