import { MskGuardError } from '#shared/errors.ts';

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
