import { QueryCommand, type QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import {
  GetEventSourceMappingCommand,
  type LambdaClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-lambda';
import { esmStartOf } from '../aws/esm-start.ts';
import type { DynamoDBSender } from '../checkpoints/dynamodb.ts';
import type { EsmStatus, EsmStatusSource, RestoreActivity } from './types.ts';

/**
 * ESM status from the Lambda API (GetEventSourceMapping). A deleted mapping reads as state `Missing`,
 * which is not `Enabled`: the consumer is stopped as surely as with a disabled one. LastModified and
 * the starting position say since when, and from where, a consumer without checkpoints should have
 * made progress (decision 0024).
 * https://docs.aws.amazon.com/lambda/latest/api/API_GetEventSourceMapping.html
 *
 * @example
 * ```ts
 * const esm = new LambdaEsmStatusSource(new LambdaClient({}));
 * const { state } = await esm.status('a1b2c3d4-...');
 * ```
 */
export class LambdaEsmStatusSource implements EsmStatusSource {
  public constructor(private readonly lambda: Pick<LambdaClient, 'send'>) {}

  public async status(uuid: string): Promise<EsmStatus> {
    try {
      const m = await this.lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }));
      return {
        state: m.State ?? 'Unknown',
        stateTransitionReason: m.StateTransitionReason ?? '',
        lastProcessingResult: m.LastProcessingResult ?? '',
        ...esmStartOf(m),
      };
    } catch (error) {
      if (error instanceof ResourceNotFoundException) {
        return {
          state: 'Missing',
          stateTransitionReason: 'GetEventSourceMapping: not found',
          lastProcessingResult: '',
        };
      }
      throw error;
    }
  }
}

/** Audit items newer than this many restores are not looked at (one restore at a time runs). */
const RECENT_AUDIT_ITEMS = 5;

/**
 * The lowest sort key of a restore's audit item. Chunk items of large plans share the group's pk
 * under sort keys `#plan#…` / `#result#…` (up to 350 KB each, decision 0025); `#` sorts just below
 * `$`, and a restore's `{startedAt ISO-8601}#{restoreId}` starts with a digit. Without this floor a
 * newest-first `Limit 5` Query of a group with fewer than 5 restores went on into the chunks: up to
 * ~1 MB read every minute per consumer, for items the watchdog never looks at. A key condition, not
 * a filter: a filter would still read (and bill) them.
 */
export const RESTORE_SORT_KEY_FLOOR = '$';

/**
 * Whether a restore of a group is running, read from the restore audit table (pk = group,
 * sk = `{startedAt}#{restoreId}`, status `running` until the run finishes). A run whose function
 * died leaves `running` behind for ever, so only runs younger than `maxRestoreSeconds` (the restore
 * function's timeout) count.
 *
 * @example
 * ```ts
 * const restores = new AuditRestoreActivity(dynamodb, 'mskguard-audit', 600);
 * await restores.running('orders-v1', Date.now());
 * ```
 */
export class AuditRestoreActivity implements RestoreActivity {
  public constructor(
    private readonly client: DynamoDBSender,
    private readonly tableName: string,
    private readonly maxRestoreSeconds: number,
  ) {}

  public async running(group: string, nowMs: number): Promise<boolean> {
    const out = (await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk >= :floor',
        ExpressionAttributeValues: { ':pk': { S: group }, ':floor': { S: RESTORE_SORT_KEY_FLOOR } },
        ScanIndexForward: false,
        Limit: RECENT_AUDIT_ITEMS,
        ConsistentRead: true,
      }),
    )) as QueryCommandOutput;
    return (out.Items ?? []).some((item) => {
      if (item.status?.S !== 'running') return false;
      const started = Date.parse(item.startedAt?.S ?? '');
      return Number.isFinite(started) && nowMs - started <= this.maxRestoreSeconds * 1000;
    });
  }
}
