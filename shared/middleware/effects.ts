import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { StagedEffectsTooLargeError } from '../checkpoints/errors.ts';
import { ConfigurationError } from '../errors.ts';

const STAGED = Symbol.for('mskguard.stagedEffects');
const TRANSACTION_LIMIT = 100;

interface Staging {
  readonly items: TransactWriteItem[];
  readonly budget: number;
}

type WithStaging = Context & { [STAGED]?: Staging };

/**
 * Stages DynamoDB writes (Put, Update, Delete, ConditionCheck) to commit in the same
 * TransactWriteItems as the batch's checkpoints: they are applied exactly when the checkpoints move
 * forward. A crash before that writes neither, a redelivery is withheld by the watermark, and a
 * batch another invocation already checkpointed is refused with CheckpointConflictError. This turns
 * "at least once, deduplicated" into exactly once for effects that live in DynamoDB.
 *
 * Stage only what succeeded: what a record stages is committed with the batch (the partial-batch
 * response does not unstage it). Items and checkpoints share one transaction of 100 items (2 per
 * partition in the batch), so keep the batch size in step.
 *
 * @throws ConfigurationError outside a handler wrapped by `mskGuard` with `checkpoints`.
 * @throws StagedEffectsTooLargeError when the batch's transaction would exceed 100 items.
 * @example
 * ```ts
 * await processRecordsInOrder(parseMskEvent(event), async (record) => {
 *   const order = JSON.parse(record.value!.toString());
 *   stageEffects(context, [{ Put: { TableName: 'orders', Item: { pk: { S: order.orderId }, amount: { N: String(order.amount) } } } }]);
 * });
 * ```
 */
export function stageEffects(context: Context, items: readonly TransactWriteItem[]): void {
  const staging = (context as WithStaging)[STAGED];
  if (!staging) {
    throw new ConfigurationError(
      'stageEffects needs the Lambda context of a handler wrapped by mskGuard({ checkpoints, ... }): effects commit with the checkpoints.',
    );
  }
  if (staging.items.length + items.length > staging.budget) {
    throw new StagedEffectsTooLargeError(
      `This batch can stage at most ${staging.budget} items (100 per transaction, minus 2 per partition and 2 more for the ` +
        `checkpoints); ${staging.items.length + items.length} were staged. Lower the batch size or stage fewer items per record.`,
    );
  }
  staging.items.push(...items);
}

/** Opens the staging area of one invocation; `partitions` checkpoints take 2 items each (+1 registry). */
export function openStaging(context: Context, partitions: number): TransactWriteItem[] {
  const items: TransactWriteItem[] = [];
  (context as WithStaging)[STAGED] = { items, budget: Math.max(0, TRANSACTION_LIMIT - 2 * partitions - 2) };
  return items;
}
