import { MskGuardError } from '../errors.ts';

/**
 * Checkpoints could not be written: DynamoDB kept throttling (or failing) past the retry bound, or
 * refused the write. `retriable` is true for throttling and 5xx: the invocation should fail so
 * Lambda retries the batch (the dedup tiers make that retry safe).
 *
 * @example
 * ```ts
 * try { await store.advance(group, updates, meta); } catch (e) { if (e instanceof CheckpointWriteError && e.retriable) throw e; }
 * ```
 */
export class CheckpointWriteError extends MskGuardError {}

/** Checkpoints could not be read (throttling past the retry bound, or a refused read). */
export class CheckpointReadError extends MskGuardError {}

/**
 * A checkpoint call got arguments no checkpoint can have (empty group, negative or fractional
 * offset, invalid topic name, ...). Not retriable: the caller has a bug.
 *
 * @example
 * ```ts
 * await store.advance('', [{ topic: 'orders', partition: 0, nextOffset: -1 }], meta); // throws InvalidCheckpointError
 * ```
 */
export class InvalidCheckpointError extends MskGuardError {}

/**
 * Effects staged by the handler (`stageEffects`) were not written because another writer had
 * already moved a partition's checkpoint past this batch: the records were processed elsewhere, so
 * applying their effects again would duplicate them. Retriable: fail the invocation; on Lambda's
 * retry the watermark withholds what was done and the rest is processed (and staged) again.
 */
export class CheckpointConflictError extends MskGuardError {
  public constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, retriable: true });
  }
}

/** The staged effects (with the checkpoint items) do not fit in one TransactWriteItems (100 items). */
export class StagedEffectsTooLargeError extends MskGuardError {}

/** A staged effect's own ConditionExpression failed: nothing of the transaction was written. */
export class StagedEffectRejectedError extends MskGuardError {}
