import type { CancellationReason, TransactWriteItem } from '@aws-sdk/client-dynamodb';
import type { MskGuardError } from '../errors.ts';
import {
  describeError,
  type Failure,
  isRetriableCancellation,
  isRetriableError,
  isTableNotFound,
  type ResolvedRetry,
  TableNotFoundError,
} from './dynamodb.ts';
import { CheckpointConflictError, StagedEffectRejectedError } from './errors.ts';
import {
  CHECKPOINT_ATTRIBUTES as A,
  checkpointAttributes,
  currentKey,
  groupKey,
  historySk,
  partitionPk,
  registryMember,
} from './schema.ts';
import { formatSkipped } from './skipped.ts';
import type { CheckpointUpdate, PartitionRef } from './types.ts';

/** TransactWriteItems' limit of items per transaction. */
export const TRANSACTION_ITEM_LIMIT = 100;

/** What one item of a transaction is, so a cancellation reason maps back to its partition. */
export interface TxSlot {
  readonly kind: 'current' | 'history' | 'registry' | 'effect';
  readonly update?: CheckpointUpdate;
}

/** Whether a partition is already in its GROUP item's registry (no ADD needed). */
export type IsRegistered = (ref: PartitionRef) => boolean;

/**
 * Splits updates into transactions of at most {@link TRANSACTION_ITEM_LIMIT} items: 2 per partition
 * (CURRENT + HISTORY), plus 1 per transaction for the registry ADD when a partition is new.
 * 50 known partitions fit one transaction; 49 when one of them is new.
 */
export function chunkUpdates(
  updates: readonly CheckpointUpdate[],
  isRegistered: IsRegistered,
  reserved = 0,
): CheckpointUpdate[][] {
  const chunks: CheckpointUpdate[][] = [];
  let chunk: CheckpointUpdate[] = [];
  let items = reserved;
  let hasRegistry = false;
  for (const update of updates) {
    const fresh = !isRegistered(update);
    if (items + 2 + (fresh && !hasRegistry ? 1 : 0) > TRANSACTION_ITEM_LIMIT) {
      chunks.push(chunk);
      chunk = [];
      items = 0;
      hasRegistry = false;
    }
    items += 2 + (fresh && !hasRegistry ? 1 : 0);
    hasRegistry ||= fresh;
    chunk.push(update);
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/** Inputs of {@link buildAdvanceTransaction}. */
export interface AdvanceTransactionInput {
  readonly table: string;
  readonly group: string;
  readonly updates: readonly CheckpointUpdate[];
  readonly meta: { readonly requestId: string; readonly epoch: number; readonly updatedAt: string };
  readonly historyTtlSeconds: number;
  readonly isRegistered: IsRegistered;
}

/**
 * The items of one advance transaction: per partition a conditional Put of CURRENT and a Put of a
 * HISTORY item; plus an ADD of the new partitions to the GROUP item's registry set, so the
 * registry can never miss a partition that has a CURRENT item (both commit or neither does).
 */
export function buildAdvanceTransaction(input: AdvanceTransactionInput): {
  items: TransactWriteItem[];
  slots: TxSlot[];
} {
  const { table, group, meta } = input;
  const items: TransactWriteItem[] = [];
  const slots: TxSlot[] = [];
  const expiresAt = Math.floor(Date.parse(meta.updatedAt) / 1000) + input.historyTtlSeconds;
  const unregistered: string[] = [];
  for (const update of input.updates) {
    const attributes = checkpointAttributes({ group, ...update, ...meta });
    // G3, forward only. A read-then-write (or a plain Put) lets a slow writer move a checkpoint back:
    //
    //   invocation A (records 0..99)           invocation B (Lambda retry of 0..49)
    //   load: CURRENT absent                   load: CURRENT absent
    //   handler ok                             handler ok
    //   advance -> 100: CURRENT = 100          .
    //   .                                      advance -> 50, unconditional: CURRENT = 50
    //   .                                      => records 50..99 lose their watermark: G1 rests on
    //                                             the Redis tier alone, and a restore from this
    //                                             checkpoint replays them.
    //
    // With the condition, B's Put fails ConditionalCheckFailed (50 <= 100): B reports the partition
    // alreadyAhead and CURRENT stays 100. Epochs order writers across a `reprocess` restore: a
    // writer of epoch 2 may set any offset over epoch 1 (reprocess moves back on purpose), but a
    // writer still in epoch 1 never overwrites epoch 2, whatever its offset.
    items.push({
      Put: {
        TableName: table,
        Item: { ...currentKey(group, update), ...attributes },
        ...(update.skippedBefore
          ? sameOffsetCondition(update, meta.epoch)
          : forwardCondition(update, meta.epoch)),
      },
    });
    slots.push({ kind: 'current', update });
    // In the same transaction: a HISTORY item exists exactly for the checkpoints that took effect.
    items.push({
      Put: {
        TableName: table,
        Item: {
          [A.PARTITION_KEY]: { S: partitionPk(group, update.topic, update.partition) },
          [A.SORT_KEY]: { S: historySk(meta.updatedAt, update.nextOffset) },
          ...attributes,
          [A.TTL]: { N: String(expiresAt) },
        },
      },
    });
    slots.push({ kind: 'history', update });
    if (!input.isRegistered(update)) unregistered.push(registryMember(update));
  }
  if (unregistered.length > 0) {
    items.push({
      Update: {
        TableName: table,
        Key: groupKey(group),
        UpdateExpression: 'ADD #partitions :members',
        ExpressionAttributeNames: { '#partitions': A.PARTITIONS },
        ExpressionAttributeValues: { ':members': { SS: unregistered } },
      },
    });
    slots.push({ kind: 'registry' });
  }
  return { items, slots };
}

function forwardCondition(update: CheckpointUpdate, epoch: number) {
  return {
    ConditionExpression:
      'attribute_not_exists(#pk) OR #epoch < :epoch OR (#epoch = :epoch AND #next < :next)',
    ExpressionAttributeNames: { '#pk': A.PARTITION_KEY, '#epoch': A.EPOCH, '#next': A.NEXT_OFFSET },
    ExpressionAttributeValues: { ':epoch': { N: String(epoch) }, ':next': { N: String(update.nextOffset) } },
  };
}

/**
 * A rewound batch processed skipped offsets: the checkpoint keeps its offset and loses those ranges,
 * only if nobody changed it since it was read (a stale writer must not bring processed ranges back,
 * nor drop ones added meanwhile).
 */
function sameOffsetCondition(update: CheckpointUpdate, epoch: number) {
  const before = formatSkipped(update.skippedBefore ?? []);
  return {
    ConditionExpression: `#epoch = :epoch AND #next = :next AND ${before ? '#skipped = :before' : 'attribute_not_exists(#skipped)'}`,
    ExpressionAttributeNames: { '#epoch': A.EPOCH, '#next': A.NEXT_OFFSET, '#skipped': A.SKIPPED },
    ExpressionAttributeValues: {
      ':epoch': { N: String(epoch) },
      ':next': { N: String(update.nextOffset) },
      ...(before ? { ':before': { S: before } } : {}),
    },
  };
}

/** The updates whose CURRENT put failed its condition: those partitions are at or past the update. */
export function aheadOf(
  reasons: readonly CancellationReason[],
  slots: readonly TxSlot[],
): CheckpointUpdate[] {
  const ahead: CheckpointUpdate[] = [];
  reasons.forEach((reason, i) => {
    const slot = slots[i];
    if (reason.Code === 'ConditionalCheckFailed' && slot?.kind === 'current' && slot.update)
      ahead.push(slot.update);
  });
  return ahead;
}

/**
 * The error to throw for a failed advance transaction (`failures` tries so far), or undefined when
 * it is retriable and tries remain.
 */
export function transactionFailure(
  error: unknown,
  reasons: readonly CancellationReason[] | undefined,
  failures: number,
  retry: ResolvedRetry,
  failure: Failure,
): MskGuardError | undefined {
  if (isTableNotFound(error))
    return new TableNotFoundError(failure.table, failure.tableFix, { cause: error });
  const retriable = reasons ? isRetriableCancellation(reasons) : isRetriableError(error);
  const detail = reasons
    ? `transaction cancelled (${reasons.map((r) => r.Code ?? 'None').join(', ')})`
    : describeError(error);
  if (!retriable)
    return failure.fail(`TransactWriteItems refused: ${detail}`, { cause: error, retriable: false });
  if (failures < retry.maxAttempts) return undefined;
  return failure.fail(
    `TransactWriteItems still throttled or conflicting after ${failures} tries (${detail}). Nothing of this ` +
      'chunk was written; fail the invocation so Lambda retries the batch, and if it persists check the ' +
      "table's throttling metrics or raise retry.maxAttempts.",
    { cause: error, retriable: true },
  );
}

/**
 * With staged effects a partial retry is wrong: the effects belong to the whole batch. A partition
 * already ahead means its records were processed elsewhere; a failed effect condition is the
 * handler's own verdict. Both end the call with nothing written.
 */
export function stagedEffectsFailure(
  reasons: readonly CancellationReason[] | undefined,
  slots: readonly TxSlot[],
  ahead: readonly CheckpointUpdate[],
  error: unknown,
): void {
  if (ahead.length > 0) {
    throw new CheckpointConflictError(
      `Partitions ${ahead.map((u) => `${u.topic}-${u.partition}`).join(', ')} were already checkpointed past this ` +
        'batch by another invocation: its staged effects were not applied. Fail the invocation; on the retry the ' +
        'watermark withholds what was done.',
      { cause: error },
    );
  }
  const rejected = (reasons ?? []).findIndex(
    (r, i) => r.Code === 'ConditionalCheckFailed' && slots[i]?.kind === 'effect',
  );
  if (rejected >= 0) {
    const index = rejected - slots.findIndex((s) => s.kind === 'effect');
    throw new StagedEffectRejectedError(
      `Staged effect #${index} failed its ConditionExpression: nothing of the batch's effects or checkpoints was written.`,
      { cause: error },
    );
  }
}
